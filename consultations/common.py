"""What every consultation feature shares: the error services raise and text limits."""


class ConsultationError(Exception):
    """A rule of the consultations floor was broken; the message is translated (lazily)
    and safe to show to the person who tried."""


#: Longest section or version title, guiding question, round title.
TITLE_MAX = 200
#: Longest section body, comment or proposed wording (markdown source).
BODY_MAX = 20_000
#: Longest comment (markdown source).
COMMENT_MAX = 5_000
