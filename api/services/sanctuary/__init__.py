"""Physical sanctuary: the case lifecycle, hospitality shifts and the two-person burn."""
