"""The network in GraphQL: regions, organizations, congregations, members, protected people, credentials and the audit log."""
