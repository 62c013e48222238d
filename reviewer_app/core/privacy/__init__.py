"""Personal data in calls: found in the transcript (detect.py), removed from transcript and audio
(redact.py), and the redaction of whole files checked by hearing the result again (run.py).

No Qt here. detect.py and redact.py sit below the pipeline (it calls them when `[privacy] redact`
is on); run.py sits above it (it analyses the call, then the redacted copy).
"""
