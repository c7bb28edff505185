"""Batch scoring of recorded replies and whole calls with the rubric of live practice.

``run_batch`` walks files and folders, scores each file with ``score_file`` (decode in
windows, cut turns by VAD per channel, transcribe, label, call-level facts) on a runner (the
parent process, a local process pool, or Ray actors) and appends one result row per file to
a JSON-lines or CSV file as soon as it is done, so an interrupted run resumes where it stopped.
Importing this package loads no model, Ray or torch.
"""
