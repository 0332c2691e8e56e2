"""The Celery application of the Celery executor: one task, one priority queue, no result backend.

The configuration designs out the known pitfalls of long CPU-bound tasks on RabbitMQ:

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged when its attempt
  ends, so a worker that dies mid-solve has its message redelivered (celery#2788 for why
  prefetching without it strands jobs);
- ``worker_prefetch_multiplier = 1`` on a thread pool of ``concurrency`` threads: a worker holds
  only the messages it is running, so a queued job never waits behind a long one on a busy
  worker while another worker is idle;
- ``task_time_limit`` below the queue's ``x-consumer-timeout`` (both from settings; checked in
  ``Settings``): RabbitMQ never closes a channel under a running solve (celery#6760), and the
  attempt itself kills a solve at ``task_time_limit``;
- no result backend: results, status, progress and attempts live in the job table.

Messages carry only the job id; a duplicate message is harmless (the claim is conditional).
"""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue

from aftersales.api.settings import Settings

TASK_NAME = "aftersales.solve"
MAX_PRIORITY = 9
"""Priorities 0-9, higher first (RabbitMQ priority queue, ``x-max-priority``)."""


def make_celery(settings: Settings) -> Celery:
    """The Celery app for ``settings`` (broker, queue, limits); the server only publishes with
    it, ``aftersales worker`` also registers the task (``celery_worker``)."""
    app = Celery("aftersales", broker=settings.broker_url, set_as_current=False)
    name = settings.celery_queue
    queue = Queue(
        name,
        Exchange(name, type="direct"),
        routing_key=name,
        queue_arguments={
            "x-max-priority": MAX_PRIORITY,
            "x-consumer-timeout": int(settings.broker_consumer_timeout_seconds * 1000),
        },
    )
    app.conf.update(
        task_queues=[queue],
        task_default_queue=name,
        task_default_exchange=name,
        task_default_routing_key=name,
        task_queue_max_priority=MAX_PRIORITY,
        task_default_priority=0,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit_seconds,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_pool_limit=4,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_enable_remote_control=False,
    )
    return app


def publish(app: Celery, job_id: str, priority: int = 0) -> None:
    """Send one job's message (the id only) at its priority."""
    app.send_task(TASK_NAME, args=[job_id], priority=max(0, min(MAX_PRIORITY, priority)))
