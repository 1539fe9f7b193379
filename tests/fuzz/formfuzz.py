"""The machinery of the form fuzz (tests/fuzz/test_form_fuzz.py): which forms a POST builds, hostile and
plausible values for each of their fields, and a fingerprint of every tenant-owned row.

Forms are found by watching what a request builds (``recording_forms``), not from a hand-kept list, so a
new page's form is fuzzed as soon as its route exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django import forms
from django.apps import apps
from django.db import connection, transaction
from django.forms.formsets import ManagementForm
from hypothesis import strategies as st

from accounts.models import Tenant
from accounts.tenancy import TenantOwnedModel

# Values no field of ours should choke on: out-of-range, non-ASCII digits, NUL, formulas, huge, empty.
HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "0", "-1", "-0", "1e309", "NaN", "inf", "-inf", "1.7976931348623157e309",
    "9" * 30, "-" + "9" * 30, str(2**31), str(2**63), str(-(2**31) - 1), "9" * 5000, "0.000000000000000000001",
    "٣", "²", "١٢٣", "１２", "𝟙", "Ⅻ", "12\u200b", "1,5", "1_000",
    "9999-12-31", "0001-01-01", "1899-12-31", "2000-01-01", "1999-12-31", "3000-01-01", "2026-02-30",
    "9999-12-31T23:59", "0001-01-01T00:00", "1999-12-31T23:59", "٢٠٢٦-01-01", "2026-01-01T25:00",
    "=1+1", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
    "<script>alert(1)</script>", "{{ contact.name }}", "{% load x %}", "'; DROP TABLE x; --", "%s%s%n",
    "a" * 300, "ä" * 5000, "x" * 250_000, "\U0001f600" * 100, "\u202e", "../../etc/passwd", "a/b", "bulk",
    "me", "any", "online", "1", "true", "on", "duplicate",
]

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)  # surrogates cannot be encoded
HOSTILE = st.one_of(st.sampled_from(HOSTILE_TEXT), TEXT,
                    st.integers(min_value=-(2**70), max_value=2**70).map(str))
SAFE_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1, max_size=30).filter(
    lambda s: s.strip() != "")


def _choice_values(choices) -> list[str]:
    values = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an option group
            values += _choice_values(label)
        else:
            values.append("" if value is None else str(getattr(value, "value", value)))
    return values


def plausible(form_field: forms.Field) -> st.SearchStrategy:
    """Values a person could mean: the right type, usually inside the field's bounds."""
    f = form_field
    today = dt.date.today()
    if isinstance(f, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        values = ([str(pk) for pk in f.queryset.values_list("pk", flat=True)]
                  if isinstance(f, forms.ModelMultipleChoiceField) else _choice_values(f.choices))
        return st.lists(st.sampled_from(values), max_size=3, unique=True) if values else st.just([])
    if isinstance(f, forms.ModelChoiceField):
        values = [str(pk) for pk in f.queryset.values_list("pk", flat=True)] + [""]
        return st.sampled_from(values)
    if isinstance(f, forms.ChoiceField):
        values = _choice_values(f.choices)
        return st.sampled_from(values) if values else st.just("")
    if isinstance(f, forms.BooleanField):
        return st.sampled_from(["on", ""])
    if isinstance(f, forms.IntegerField | forms.FloatField | forms.DecimalField):
        low = int(f.min_value) if f.min_value is not None else -(10**6)
        high = int(f.max_value) if f.max_value is not None else 10**6
        if isinstance(f, forms.DecimalField) and f.max_digits:
            high = min(high, 10 ** (f.max_digits - (f.decimal_places or 0)) - 1)
        number = st.integers(min_value=low, max_value=max(low, high)).map(str)
        if isinstance(f, forms.IntegerField) and not isinstance(f, forms.FloatField | forms.DecimalField):
            return number
        return st.one_of(number, st.decimals(min_value=low, max_value=max(low, high), places=2,
                                             allow_nan=False, allow_infinity=False).map(str))
    if isinstance(f, forms.DateTimeField):
        return st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(today.year + 9, 1, 1)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M"))
    if isinstance(f, forms.DateField):
        return st.dates(min_value=dt.date(2000, 1, 1), max_value=today.replace(year=today.year + 9)).map(
            dt.date.isoformat)
    if isinstance(f, forms.TimeField):
        return st.times().map(lambda t: t.strftime("%H:%M"))
    if isinstance(f, forms.EmailField):
        return st.from_regex(r"\A[a-z]{1,12}@[a-z]{1,10}\.example\.com\Z")
    if isinstance(f, forms.SlugField):
        return st.from_regex(r"\A[a-z][a-z0-9-]{0,20}\Z")
    if isinstance(f, forms.URLField):
        return st.from_regex(r"\Ahttps://[a-z]{1,10}\.example\.com/[a-z]{0,10}\Z")
    if isinstance(f, forms.CharField) and any(
            getattr(v, "regex", None) is not None for v in f.validators):
        return st.sampled_from(["+1 555 0100", "555-0100", "(555) 010 0000"])
    if isinstance(f, forms.CharField):
        return st.one_of(SAFE_TEXT, st.sampled_from([
            "=1+1", "+1", "-1", "@x", "09:00-17:00", "09:00-12:00, 13:00-17:00", "Europe/Berlin", "UTC",
            "{{ contact.name }}"]))
    return SAFE_TEXT


def posted(value: object) -> str | list[str] | None:
    """A form's initial value as a browser would post it back."""
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple):
        return [str(getattr(v, "pk", v)) for v in value]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "on" if value else None
    return str(getattr(value, "pk", value))


@dataclass(frozen=True)
class FieldValues:
    """What to post for one field: ``good`` values a person could mean (the form's own initial value,
    e.g. the edited row's, among them) and ``bad`` ones (hostile, or the field sent twice)."""

    good: st.SearchStrategy
    bad: st.SearchStrategy


BAD = st.one_of(HOSTILE, HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3))


def field_values(form_field: forms.Field, current: object = None, *, fixed: bool = False) -> FieldValues:
    """``fixed``: the good value is ``current`` only (a formset's management form)."""
    value = posted(current)
    good = plausible(form_field)
    if fixed:
        good = st.just(value)
    elif value is not None:
        good = st.one_of(st.just(value), st.just(value), good)
    elif not form_field.required:
        good = st.one_of(st.just(""), good)
    return FieldValues(good, BAD)


@st.composite
def submissions(draw, fields: dict[str, FieldValues]) -> dict:
    """A POST body: all good (a valid submission is likely), one field bad (which check refuses it), or
    every field good, bad or missing at random."""
    names = sorted(fields)
    mode = draw(st.sampled_from(["good", "one_bad", "one_bad", "mixed"]))
    bad = {draw(st.sampled_from(names))} if mode == "one_bad" else set()
    out = {}
    for name in names:
        pick = draw(st.sampled_from(["good", "good", "bad", "missing"])) if mode == "mixed" else (
            "bad" if name in bad else "good")
        if pick != "missing":
            value = draw(fields[name].bad if pick == "bad" else fields[name].good)
            if value is not None:
                out[name] = value
    return out


@dataclass
class SeenForm:
    form: forms.BaseForm

    @property
    def names(self) -> dict[str, forms.Field]:
        """Posted name -> field (with the form's prefix, as a formset posts them)."""
        return {self.form.add_prefix(name): f for name, f in self.form.fields.items()}

    def strategies(self, management: dict[str, str]) -> dict[str, FieldValues]:
        out = {}
        for name, f in self.form.fields.items():
            key = self.form.add_prefix(name)
            if key in management:
                out[key] = field_values(f, management[key], fixed=True)
            else:
                out[key] = field_values(f, self.form.get_initial_for_field(f, name))
        return out


@dataclass
class Recorder:
    seen: list[SeenForm] = field(default_factory=list)

    def bound(self) -> list[forms.BaseForm]:
        return [s.form for s in self.seen if s.form.is_bound]

    def verdict(self) -> str:
        """``invalid`` when a bound form was cleaned with errors, ``valid`` when one was cleaned without,
        else ``unknown`` (nothing bound or nothing cleaned)."""
        cleaned = [f for f in self.bound() if f._errors is not None]
        if any(f._errors for f in cleaned):
            return "invalid"
        return "valid" if cleaned else "unknown"


@contextlib.contextmanager
def recording_forms() -> Iterator[Recorder]:
    """Every form (and formset management form) built while the block runs."""
    recorder = Recorder()
    original = forms.BaseForm.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        recorder.seen.append(SeenForm(self))

    forms.BaseForm.__init__ = spy
    try:
        yield recorder
    finally:
        forms.BaseForm.__init__ = original


def management_data(recorder: Recorder, total: int = 2) -> dict[str, str]:
    """What a formset's management form needs so that its forms are built (their fields then show)."""
    data = {}
    for seen in recorder.seen:
        if isinstance(seen.form, ManagementForm):
            prefix = seen.form.prefix
            data |= {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    return data


class Rollback(Exception):
    """Raised to undo a block's writes: every fuzz example starts from the same rows."""


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


# Bookkeeping that a request may update without changing any tenant's data.
NOT_DATA = {"last_used_at"}


def fingerprint() -> dict[str, str]:
    """md5 of every row of every tenant-owned table (and of the tenants), in one query: equal before and
    after means that a request wrote nothing."""
    parts = []
    for model in apps.get_models():
        if (issubclass(model, TenantOwnedModel) or model is Tenant) and not model._meta.proxy:
            columns = ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields
                                if f.attname not in NOT_DATA)
            table = connection.ops.quote_name(model._meta.db_table)
            rows = f"SELECT {columns} FROM {table}"  # noqa: S608 (names from the models, no input)
            digest = "md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))"
            parts.append(f"SELECT '{model._meta.label}', {digest} FROM ({rows}) r")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())
