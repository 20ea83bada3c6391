"""smartlive in CI: the GitHub Action's step (`python -m reconciler.ci.github`, run by action.yml).

It sits above the CLI: it runs the installed `smartlive` as a child process, as a user's workflow would,
and turns what it prints into what the runner reads (step outputs, the job summary, annotations).
"""
