"""The network's administration: regions, organizations, members and trainings, protected people and credentials."""
