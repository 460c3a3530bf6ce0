"""Physical sanctuary in GraphQL: sanctuary cases, hospitality shifts and the two-person burn."""
