"""Work on Celery when `HUB_BROKER_URL` is set: queues, tasks, the relay and the leased scheduler.

The outbox row stays the truth and a broker message is only a wake-up: tasks carry ids and claim
before they act, so a lost, late or doubled message changes nothing but timing.
"""
