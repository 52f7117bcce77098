"""The app: the ``q2c`` command line, its terminal views and the HTTP server of the mocks.

The only room that talks to people. The engines below it (runner, swarm, the contract tooling)
return results and print nothing; the views here turn them into tables and progress bars. No
other module imports this package, and its commands import the engines only when they run, so
``q2c --help`` stays fast.
"""
