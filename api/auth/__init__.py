"""Identity and authorization: who the viewer is and which rows and fields it may read."""
