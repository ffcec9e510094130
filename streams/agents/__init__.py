"""What a worker runs, all on the one Faust app (streams/app.py), chosen by its roles (streams/agents/roles.py).

Importing a module registers its agents, tasks and timers with the app; `roles.register()` imports
exactly the ones of the process's roles, so ROLE_MODULES is the whole of a worker's stream processing
but the tasks of the api role: the outcome follower of streams/http/intake.py and the revocation
follower of streams/http/access.py, which streams/http registers with the views.
"""
