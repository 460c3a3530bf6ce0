"""Managing partner apps' webhook endpoints and deliveries: registration, updates, secret rotation, replay."""
