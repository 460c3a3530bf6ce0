"""Tests of physical sanctuary: case lifecycle, hospitality shifts, the burn; and their builders."""
