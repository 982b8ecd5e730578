# The site's one way of writing a time in English, wherever Django formats one (the admin's
# lists and read-only fields included): "7 Dec 2026, 12:46 CET", the zone always named, as the
# `when` filter writes it. Only what differs from Django's English formats is here.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
