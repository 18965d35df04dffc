"""Reading Prometheus's text format in tests. The counters are per process and this process
runs every stack of the session (API and worker alike): tests compare before and after."""

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Samples:
    values: dict[tuple[str, frozenset], float]

    @classmethod
    def parse(cls, text: str) -> "Samples":
        return cls(
            {
                (sample.name, frozenset(sample.labels.items())): sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
            }
        )

    def get(self, name: str, **labels: str) -> float:
        """The sample's value; 0 when it is not there (a counter not incremented yet)."""
        return self.values.get((name, frozenset(labels.items())), 0.0)

    def names(self) -> Iterable[str]:
        return {name for name, _ in self.values}

    def minus(self, before: "Samples", name: str, **labels: str) -> float:
        return self.get(name, **labels) - before.get(name, **labels)


async def scrape(stack, **headers: str) -> Samples:
    answer = await stack.api.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Samples.parse(answer.text)
