"""What the burst's processes do during the release (bench/burst.py): their CPU, the whole
machine's busy and I/O-wait time, and the workflow tasks waiting in the task queue for a worker."""

import time

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.measure import cpu_seconds, machine_seconds


class Probe:
    """Samples taken while the release runs; figures over [T, the last arrival]."""

    def __init__(self, pids: dict[str, int], client: Client, task_queue: str):
        self.pids, self.client, self.task_queue = pids, client, task_queue
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.backlog: list[int] = []

    def sample(self) -> None:
        cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        cpu["bench"] = time.process_time()
        cpu["machine"], cpu["iowait"] = machine_seconds()
        self.samples.append((time.time(), cpu))

    async def sample_backlog(self) -> None:
        """Workflow tasks waiting for a worker on the task queue (those of workflows a worker
        still holds in its cache go to that worker's own queue, and are not counted)."""
        request = DescribeTaskQueueRequest(
            namespace=self.client.namespace,
            task_queue=TaskQueue(name=self.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            report_stats=True,
        )
        described = await self.client.workflow_service.describe_task_queue(request)
        self.backlog.append(described.stats.approximate_backlog_count)

    def figures(self, until: float) -> dict:
        """CPU as a share of one core (%) from the first sample to the first at or after
        `until`; the processes' and the rest of the machine's; the backlog's peak."""
        start, first = self.samples[0]
        end, last = next((s for s in self.samples if s[0] >= until), self.samples[-1])
        wall = max(end - start, 1e-3)
        cpu = {name: round((last[name] - first[name]) / wall * 100) for name in first}
        cpu["other"] = cpu["machine"] - sum(cpu[name] for name in (*self.pids, "bench"))
        return {
            "cpu_percent": cpu,
            "busiest": max(self.pids, key=cpu.get),
            "backlog_max": max(self.backlog, default=None),
        }
