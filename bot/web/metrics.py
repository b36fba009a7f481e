"""Prometheus metrics of one server process: messages in and out per channel, the time to answer,
errors, strings that fell back to another language, and the outbox by state (shared by all
workers: read from the database at each scrape)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.i18n.translator import Translator


class Metrics:
    def __init__(self, translator: Translator) -> None:
        self.registry = CollectorRegistry()
        self.messages_in = Counter(
            "komek_messages_in", "Inbound messages", ["channel"], registry=self.registry
        )
        self.messages_out = Counter(
            "komek_messages_out", "Outbound messages", ["channel"], registry=self.registry
        )
        self.errors = Counter(
            "komek_errors", "Requests that failed", ["route"], registry=self.registry
        )
        self.latency = Histogram(
            "komek_turn_seconds",
            "Time to answer one inbound message",
            ["channel"],
            registry=self.registry,
        )
        self.outbox = Gauge(
            "komek_outbox",
            "Outbox rows (reminders, notices, campaigns) by state, as of the last scrape",
            ["status"],
            registry=self.registry,
        )
        # A person when the bot is not enough (`bot.staff.inbox`): the time from a family's
        # conversation reaching the inbox to a worker's first answer (observed by the process
        # that sent it), and, read from the database at each scrape, the week's hand-overs, the
        # reasons and the conversations still without an answer.
        self.inbox_first_answer = Histogram(
            "komek_inbox_first_answer_seconds",
            "Time from a conversation handed to a person to the worker's first answer",
            buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200),
            registry=self.registry,
        )
        self.inbox_handed_over = Gauge(
            "komek_inbox_handed_over_week",
            "Conversations handed to a person in the last 7 days, as of the last scrape",
            registry=self.registry,
        )
        self.inbox_reasons = Gauge(
            "komek_inbox_reasons",
            "Conversations handed to a person in the last 30 days by reason (the step the bot "
            "failed at, or asked)",
            ["reason"],
            registry=self.registry,
        )
        self.inbox_waiting = Gauge(
            "komek_inbox_waiting",
            "Conversations handed to a person still without an answer, as of the last scrape",
            registry=self.registry,
        )
        self.registry.register(_MissingTranslations(translator))


class _MissingTranslations(Collector):
    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    def collect(self) -> Any:
        family = GaugeMetricFamily(
            "komek_missing_translations",
            "Strings that fell back to another language",
            labels=["language"],
        )
        for language, count in sorted(self.translator.missing.items()):
            family.add_metric([language], count)
        yield family
