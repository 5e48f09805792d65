"""The REST API (Django REST framework): managing shares and opening them."""
