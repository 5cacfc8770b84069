"""The alert rules of DESIGN §6; ``notifications.registry`` names them."""
