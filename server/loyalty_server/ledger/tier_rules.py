"""Tier rules as pure functions: no I/O, no clock of their own. `ledger/tiers.py` gives them storage.

Terms used throughout:
- the *held* tier: the threshold level a member holds (`members.tier_id`; NULL = the lowest). It goes
  up as soon as the qualifying points justify more, and down only when a pending downgrade falls due.
- the *justified* level: the highest level whose threshold is at most the window's qualifying points.
- a *custom* tier (VIP, employee) set by hand acts as a floor: the effective level is the higher of
  the held level and the custom tier's floor level.
- the *effective* tier: what events and GetMemberTier report. The custom tier when its floor is at
  least the held level (ties go to the custom tier: its benefits are the reason it was set), else the
  held level. Tier events fire when the effective tier changes, and only then.
- the earning multiplier: the larger of the effective level's and the custom tier's, so a custom tier
  never earns less than the level it guarantees, nor less than its own promise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass

from loyalty_server.program.model import CustomTier, TierLevel, Tiers

PERCENT = 100


@dataclass(frozen=True, slots=True)
class TierRef:
    """A tier as a member or a listing sees it: a threshold level or a custom tier."""

    id: str
    name: str
    rank: int  # index among levels; a custom tier has its floor's rank (0 without a floor)
    threshold: int  # 0 for custom tiers
    custom: bool
    floor_id: str | None
    earn_multiplier_percent: int
    temporary_points_never_expire: bool

    @property
    def order(self) -> tuple[int, bool]:
        """Sort key of effective tiers: by rank, a custom tier above the level of the same rank."""
        return (self.rank, self.custom)


@dataclass(frozen=True, slots=True)
class TierState:
    """A member's stored tier columns."""

    tier_id: str | None  # the held level; None = the lowest
    tier_since: dt.datetime | None
    custom_tier_id: str | None
    custom_expires_at: dt.datetime | None
    downgrade_at: dt.datetime | None
    downgrade_warned_at: dt.datetime | None


class ChangeKind(enum.Enum):
    UPGRADED = "tier.upgraded"
    DOWNGRADED = "tier.downgraded"
    DOWNGRADE_WARNING = "tier.downgrade_warning"


@dataclass(frozen=True, slots=True)
class TierChange:
    """An event to announce. For a warning, `current` is the tier the member would drop to."""

    kind: ChangeKind
    previous: TierRef
    current: TierRef
    custom: bool  # caused by setting, clearing or the end of a custom tier
    qualifying_points: int
    downgrade_at: dt.datetime | None = None  # warnings only
    points_needed: int = 0  # warnings only: points that would keep the tier


@dataclass(frozen=True, slots=True)
class Evaluation:
    state: TierState
    changes: tuple[TierChange, ...]


@dataclass(frozen=True, slots=True)
class Progress:
    next_level: TierRef | None  # None at the top
    points_to_next: int
    percent: int  # 0-100


@dataclass(frozen=True, slots=True)
class TierStatus:
    """Everything GetMemberTier shows, as of one moment."""

    effective: TierRef
    held: TierRef
    custom: TierRef | None
    custom_expires_at: dt.datetime | None
    qualifying_points: int
    window_start: dt.datetime
    progress: Progress
    tier_since: dt.datetime | None
    downgrade_at: dt.datetime | None
    downgrade_to: TierRef | None
    earn_multiplier_percent: int


# --- lookups ---------------------------------------------------------------------------------------


def level_rank(tiers: Tiers, tier_id: str | None) -> int:
    """The rank of a level id; None or an id the program no longer has counts as the lowest."""
    for rank, level in enumerate(tiers.levels):
        if level.id == tier_id:
            return rank
    return 0


def custom_tier(tiers: Tiers, custom_id: str | None) -> CustomTier | None:
    return next((custom for custom in tiers.custom if custom.id == custom_id), None)


def is_level(tiers: Tiers, tier_id: str) -> bool:
    return any(level.id == tier_id for level in tiers.levels)


def level_ref(tiers: Tiers, rank: int) -> TierRef:
    level: TierLevel = tiers.levels[rank]
    return TierRef(
        id=level.id,
        name=level.name,
        rank=rank,
        threshold=level.threshold,
        custom=False,
        floor_id=None,
        earn_multiplier_percent=level.earn_multiplier_percent,
        temporary_points_never_expire=False,
    )


def custom_ref(tiers: Tiers, custom: CustomTier) -> TierRef:
    return TierRef(
        id=custom.id,
        name=custom.name,
        rank=level_rank(tiers, custom.floor) if custom.floor else 0,
        threshold=0,
        custom=True,
        floor_id=custom.floor,
        earn_multiplier_percent=custom.earn_multiplier_percent,
        temporary_points_never_expire=custom.temporary_points_never_expire,
    )


def all_tiers(tiers: Tiers) -> list[TierRef]:
    """Threshold levels by rank, then custom tiers in program order (ListTiers)."""
    levels = [level_ref(tiers, rank) for rank in range(len(tiers.levels))]
    return levels + [custom_ref(tiers, custom) for custom in tiers.custom]


def justified_rank(tiers: Tiers, points: int) -> int:
    """The highest level whose threshold the points reach (levels are sorted, the first at 0)."""
    return max(rank for rank, level in enumerate(tiers.levels) if level.threshold <= max(points, 0))


# --- what a state means ----------------------------------------------------------------------------


def _custom_of(tiers: Tiers, state: TierState) -> TierRef | None:
    custom = custom_tier(tiers, state.custom_tier_id)
    return None if custom is None else custom_ref(tiers, custom)


def effective_tier(tiers: Tiers, state: TierState) -> TierRef:
    held = level_ref(tiers, level_rank(tiers, state.tier_id))
    custom = _custom_of(tiers, state)
    return custom if custom is not None and custom.rank >= held.rank else held


def effective_rank(tiers: Tiers, state: TierState) -> int:
    """The level the member is treated as: the held level raised to the custom tier's floor."""
    custom = _custom_of(tiers, state)
    return max(level_rank(tiers, state.tier_id), custom.rank if custom else 0)


def multiplier_percent(tiers: Tiers, tier_id: str | None, custom_id: str | None) -> int:
    state = TierState(tier_id, None, custom_id, None, None, None)
    level = tiers.levels[effective_rank(tiers, state)]
    custom = custom_tier(tiers, custom_id)
    return max(level.earn_multiplier_percent, custom.earn_multiplier_percent if custom else 0)


def apply_multiplier(points: int, percent: int) -> int:
    """Points times a percentage, rounded down, but never below one point for a positive earn."""
    assert points > 0
    assert percent > 0
    return max(1, points * percent // PERCENT)


def progress(tiers: Tiers, rank: int, points: int) -> Progress:
    if rank + 1 >= len(tiers.levels):
        return Progress(None, 0, PERCENT)
    current, following = tiers.levels[rank], tiers.levels[rank + 1]
    span = following.threshold - current.threshold
    percent = (points - current.threshold) * PERCENT // span
    return Progress(
        level_ref(tiers, rank + 1), max(0, following.threshold - points), min(PERCENT, max(0, percent))
    )


# --- the qualifying window -------------------------------------------------------------------------


def qualifying_day(effective_at: dt.datetime, created_at: dt.datetime) -> dt.date:
    """The UTC day an earn counts on: when it happened, but never later than when it was booked."""
    return min(effective_at, created_at).astimezone(dt.UTC).date()


def window_first_day(tiers: Tiers, now: dt.datetime) -> dt.date:
    """The oldest day inside the window: the window is the last `qualifying_window_days` UTC days."""
    return now.astimezone(dt.UTC).date() - dt.timedelta(days=tiers.qualifying_window_days - 1)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def leaves_window_at(tiers: Tiers, day: dt.date) -> dt.datetime:
    """When a day's points stop counting."""
    return day_start(day + dt.timedelta(days=tiers.qualifying_window_days))


# --- transitions -----------------------------------------------------------------------------------


def evaluate(tiers: Tiers, state: TierState, points: int, now: dt.datetime) -> Evaluation:
    """Bring a state up to `now` given the window's qualifying points: end a custom tier that has
    run out, upgrade at once, start, warn, perform or cancel a downgrade."""
    ended = state.custom_expires_at is not None and state.custom_expires_at <= now
    start = dataclasses.replace(state, custom_tier_id=None, custom_expires_at=None) if ended else state
    return _settle(tiers, state, start, points, now, custom=ended)


def set_custom(
    tiers: Tiers,
    state: TierState,
    custom_id: str,
    expires_at: dt.datetime | None,
    points: int,
    now: dt.datetime,
) -> Evaluation:
    assert custom_tier(tiers, custom_id) is not None, custom_id
    assert expires_at is None or expires_at > now
    start = dataclasses.replace(state, custom_tier_id=custom_id, custom_expires_at=expires_at)
    return _settle(tiers, state, start, points, now, custom=True)


def clear_custom(tiers: Tiers, state: TierState, points: int, now: dt.datetime) -> Evaluation:
    start = dataclasses.replace(state, custom_tier_id=None, custom_expires_at=None)
    return _settle(tiers, state, start, points, now, custom=True)


def _settle(
    tiers: Tiers, before: TierState, start: TierState, points: int, now: dt.datetime, *, custom: bool
) -> Evaluation:
    after, warning = _apply_threshold(tiers, start, points, now)
    changes: list[TierChange] = []
    previous, current = effective_tier(tiers, before), effective_tier(tiers, after)
    if previous.id != current.id:
        kind = ChangeKind.UPGRADED if current.order > previous.order else ChangeKind.DOWNGRADED
        changes.append(TierChange(kind, previous, current, custom, points))
    if warning is not None:
        changes.append(warning)
    return Evaluation(after, tuple(changes))


def _apply_threshold(
    tiers: Tiers, state: TierState, points: int, now: dt.datetime
) -> tuple[TierState, TierChange | None]:
    held = level_rank(tiers, state.tier_id)
    justified = justified_rank(tiers, points)
    if justified >= held:  # qualifies: upgrade if more, and no downgrade is pending any more
        since = now if justified > held else state.tier_since
        return _with_level(tiers, state, justified, since), None
    downgrade_at = state.downgrade_at or now + dt.timedelta(days=tiers.downgrade_grace_days)
    if downgrade_at <= now:  # the grace period is over: drop to what the points justify now
        return _with_level(tiers, state, justified, now), None
    pending = dataclasses.replace(state, tier_id=tiers.levels[held].id, downgrade_at=downgrade_at)
    warn_at = downgrade_at - dt.timedelta(days=tiers.downgrade_warning_days)
    if state.downgrade_warned_at is not None or warn_at > now:
        return pending, None
    warned = dataclasses.replace(pending, downgrade_warned_at=now)
    current = effective_tier(tiers, warned)
    target = effective_tier(tiers, _with_level(tiers, warned, justified, now))
    if target.id == current.id:  # a custom floor keeps the effective tier: nothing to warn about
        return warned, None
    warning = TierChange(
        kind=ChangeKind.DOWNGRADE_WARNING,
        previous=current,
        current=target,
        custom=False,
        qualifying_points=points,
        downgrade_at=downgrade_at,
        points_needed=tiers.levels[held].threshold - points,
    )
    return warned, warning


def _with_level(tiers: Tiers, state: TierState, rank: int, since: dt.datetime | None) -> TierState:
    return dataclasses.replace(
        state,
        tier_id=tiers.levels[rank].id,
        tier_since=since,
        downgrade_at=None,
        downgrade_warned_at=None,
    )


def next_review(
    tiers: Tiers, state: TierState, oldest_day: dt.date | None, now: dt.datetime
) -> dt.datetime | None:
    """When the state must be evaluated again (None: only a qualifying posting can change it): the
    custom tier's end, the warning, the downgrade, or, while a level above the lowest is held, the
    moment the oldest day with points leaves the window (the sum may then fall below the threshold)."""
    moments = [state.custom_expires_at]
    if state.downgrade_at is not None:
        moments.append(state.downgrade_at)
        if state.downgrade_warned_at is None:
            moments.append(state.downgrade_at - dt.timedelta(days=tiers.downgrade_warning_days))
    elif level_rank(tiers, state.tier_id) > 0 and oldest_day is not None:
        moments.append(leaves_window_at(tiers, oldest_day))
    present = [moment for moment in moments if moment is not None]
    review = min(present) if present else None
    assert review is None or review > now, f"evaluated state is already due again at {review}"
    return review


def status(
    tiers: Tiers, state: TierState, points: int, now: dt.datetime, member_since: dt.datetime
) -> TierStatus:
    """What a state looks like to the member (an evaluated state: see `evaluate`)."""
    held = level_ref(tiers, level_rank(tiers, state.tier_id))
    rank = effective_rank(tiers, state)
    pending = state.downgrade_at is not None
    return TierStatus(
        effective=effective_tier(tiers, state),
        held=held,
        custom=_custom_of(tiers, state),
        custom_expires_at=state.custom_expires_at,
        qualifying_points=points,
        window_start=day_start(window_first_day(tiers, now)),
        progress=progress(tiers, rank, points),
        tier_since=state.tier_since or member_since,
        downgrade_at=state.downgrade_at,
        downgrade_to=level_ref(tiers, justified_rank(tiers, points)) if pending else None,
        earn_multiplier_percent=multiplier_percent(tiers, state.tier_id, state.custom_tier_id),
    )
