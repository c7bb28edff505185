"""The dialogue engine: the caller's state on the conflict staircase and their next line.

Pure: a scored reply goes in, the caller's next line and level come out. Every move is
recorded as a ``Transition`` naming its rule and a reason in plain words, so a trainer can
see why the caller calmed down or blew up. Rules and weights live in ``staircase_rules``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from voicesim.core.labels import ApologyKind, Label, QuestionKind, ReplyScore
from voicesim.core.levels import Level
from voicesim.core.lines import LinePicker, StoryTeller
from voicesim.core.personas import Persona, Reaction
from voicesim.core.staircase_rules import (
    ANGER_WEIGHTS,
    CALMING_WEIGHTS,
    LISTENING_MOVES,
    EngineOptions,
    Outcome,
    Rule,
)
from voicesim.errors import CallOverError


@dataclass(frozen=True)
class Transition:
    """One step of the call as the trainer sees it: from where to where, and why."""

    turn: int
    from_level: Level
    to_level: Level
    labels: tuple[Label, ...]
    rule: Rule
    reason: str
    calm_points: float  # accumulated toward the next step down, after this reply
    anger_points: float  # accumulated toward the next step up, after this reply

    def to_dict(self) -> dict[str, object]:
        return {
            "turn": self.turn,
            "from_level": int(self.from_level),
            "to_level": int(self.to_level),
            "labels": [str(label) for label in self.labels],
            "rule": str(self.rule),
            "reason": self.reason,
            "calm_points": round(self.calm_points, 3),
            "anger_points": round(self.anger_points, 3),
        }


@dataclass(frozen=True)
class CallerTurn:
    """What the caller says next, at which level, and whether the call goes on."""

    line: str
    level: Level
    outcome: Outcome
    transition: Transition


def _quote(score: ReplyScore, label: Label) -> str:
    evidence = score.evidence_for(label)
    return evidence[0].phrase if evidence else score.text.strip()


class StaircaseEngine:
    """An angry caller on the five-step staircase, driven by scored replies."""

    def __init__(
        self, persona: Persona, seed: int | None = None, options: EngineOptions | None = None
    ):
        self.persona = persona
        self.options = options or EngineOptions()
        self.level = persona.temper.start_level
        self.outcome = Outcome.ONGOING
        self.transitions: list[Transition] = []
        self._lines = LinePicker(seed)
        self._story = StoryTeller(persona.reactions[Reaction.STORY])
        self._calm = 0.0
        self._anger = 0.0
        self._heard = 0.0
        self._uses: Counter[Label] = Counter()
        self._silences_in_a_row = 0
        self._defied_boundaries = 0
        # A caller who opens at level 3 or above has already dragged their grievances in.
        self._side_grievance_raised = self.level >= Level.MORE_PROBLEMS
        self._demand_said = False
        self._turn = 0
        self._note = ""  # said about this turn before the rule's own reason (interruptions)

    # -- the public moves -----------------------------------------------------------------
    def opening(self) -> CallerTurn:
        """The caller's first line; nothing has been said yet."""
        reason = f"The caller opens at level {int(self.level)} ({self.level.title})."
        return self._say(
            self.persona.fill(self.persona.opening), self.level, (), Rule.OPENING, reason
        )

    def respond(self, score: ReplyScore, interruptions: int = 0) -> CallerTurn:
        """The caller's answer to one scored reply (``interruptions``: times it talked over them)."""
        if self.outcome is not Outcome.ONGOING:
            raise CallOverError(f"the call is over ({self.outcome}); start a new call to go on")
        self._turn += 1
        if interruptions > 0:
            # Angry callers hate being cut off: it counts against the trainee before the words do.
            added = self.options.interruption_anger * interruptions
            self._anger += added
            self._note = f" The trainee talked over the caller {interruptions}x: anger +{added:g}."
        if score.is_empty:
            return self._silence()
        self._silences_in_a_row = 0
        if self._turn >= self.options.max_turns:
            reason = f"{self._turn} replies without a solution: the caller gives up."
            return self._finish(
                self.persona.hang_up,
                Level.SEPARATION,
                score.labels,
                Rule.TOO_LONG,
                reason,
                Outcome.HUNG_UP,
            )
        if score.harmful_labels:
            return self._harm(score)
        if self.level is Level.DISAGREEMENT:
            return self._at_disagreement(score)
        return self._climbing_down(score)

    def end_call(self) -> CallerTurn:
        """The trainee ends the call (Ctrl-C, or no more replies): it ends where it stands."""
        if self.outcome is not Outcome.ONGOING:
            raise CallOverError(f"the call is already over ({self.outcome})")
        reason = f"The trainee ended the call at level {int(self.level)} ({self.level.title})."
        return self._finish("", self.level, (), Rule.ENDED_BY_TRAINEE, reason, Outcome.ENDED)

    @property
    def heard_points(self) -> float:
        return self._heard

    # -- the rules ------------------------------------------------------------------------
    def _silence(self) -> CallerTurn:
        self._silences_in_a_row += 1
        line = self._pick("silence", self.persona.silence)
        if self._silences_in_a_row == 1:
            return self._say(
                line,
                self.level,
                (),
                Rule.SILENCE,
                "The trainee said nothing: the caller checks the line.",
            )
        self._anger += self.options.silence_anger
        reason = f"Silence {self._silences_in_a_row} times in a row added {self.options.silence_anger:g} anger"
        if self._anger >= self.persona.temper.fuse:
            return self._step_up((), Rule.SILENCE_ESCALATES, reason, line)
        return self._say(line, self.level, (), Rule.SILENCE, reason + ".")

    def _harm(self, score: ReplyScore) -> CallerTurn:
        harmful = score.harmful_labels
        gain = sum(ANGER_WEIGHTS[label] for label in harmful)
        self._anger += gain
        worst = max(harmful, key=lambda label: ANGER_WEIGHTS[label])
        quote = _quote(score, worst)
        moves = ", ".join(f"{label} ({_quote(score, label)!r})" for label in harmful)
        reason = f"{moves} added {gain:g} anger"
        spoiled = [str(label) for label in score.labels if label not in score.harmful_labels]
        if spoiled:
            reason += f", which cancels the {', '.join(spoiled)} in the same reply"
        reaction = self.persona.fill(
            self._pick(str(worst), self.persona.reactions[Reaction(str(worst))]), quote
        )
        if self._anger >= self.persona.temper.fuse:
            return self._step_up(score.labels, Rule.HARM_ESCALATES, reason, reaction)
        reason += f"; anger {self._anger:g} is below the fuse {self.persona.temper.fuse:g}."
        return self._say(reaction, self.level, score.labels, Rule.HARM_ANGERS, reason)

    @staticmethod
    def _invites_story(score: ReplyScore) -> bool:
        """An open question lets the caller tell more; a closed one only gets its fact."""
        return score.has(Label.QUESTION) and score.question is not QuestionKind.CLOSED

    def _gain(self, score: ReplyScore) -> tuple[float, list[str]]:
        """Calming points of this reply at the current level, with diminishing returns."""
        weights = CALMING_WEIGHTS.get(self.level, {})
        total, parts = 0.0, []
        for label in score.labels:
            if label not in weights:
                continue
            weight = weights[label] * self.options.repeat_decay ** self._uses[label]
            if label is Label.APOLOGY and score.apology is not ApologyKind.SPECIFIC:
                weight *= self.options.blanket_apology_weight
            closed = label is Label.QUESTION and score.question is QuestionKind.CLOSED
            if closed:
                weight *= self.options.closed_question_weight
            self._uses[label] += 1
            if label in LISTENING_MOVES:
                self._heard += weight
            total += weight
            parts.append(f"{label}{' (closed)' if closed else ''} +{weight:g}")
        for label in score.labels:
            if label not in weights:
                self._uses[label] += 1
        if total > self.options.max_calm_per_reply:
            total = self.options.max_calm_per_reply
            parts.append(f"capped at {total:g} a reply")
        return total, parts

    def _at_disagreement(self, score: ReplyScore) -> CallerTurn:
        gain, parts = self._gain(score)
        earned = f" ({', '.join(parts)})" if parts else ""
        needed = self.persona.temper.heard_needed
        if score.has(Label.NEXT_STEPS):
            if self._heard >= needed:
                reason = (
                    "Concrete next steps once the caller felt heard "
                    f"(listening {self._heard:g} >= {needed:g}){earned}."
                )
                line = self.persona.fill(
                    self._pick("resolved", self.persona.reactions[Reaction.RESOLVED])
                )
                return self._finish(
                    line, Level.DISAGREEMENT, score.labels, Rule.RESOLVED, reason, Outcome.RESOLVED
                )
            return self._premature(score, f"listening {self._heard:g} < {needed:g}")
        if self._invites_story(score) and not self._story.exhausted:
            return self._tell_story(
                score, f"A curious question{earned}: the caller tells more of the story."
            )
        if self._heard >= needed and not self._demand_said:
            self._demand_said = True
            reason = (
                f"The caller feels heard (listening {self._heard:g}){earned} and states the demand."
            )
            return self._say(
                self.persona.fill(self.persona.demand),
                self.level,
                score.labels,
                Rule.DEMAND,
                reason,
            )
        if gain > 0:
            line = self._pick("heard", self.persona.reactions[Reaction.HEARD])
            return self._say(
                self.persona.fill(line),
                self.level,
                score.labels,
                Rule.HEARD,
                f"Listening{earned} keeps the caller calm.",
            )
        line = self._level_line()
        return self._say(
            line,
            self.level,
            score.labels,
            Rule.NO_PROGRESS,
            "No listening move and no next steps: the caller repeats the point.",
        )

    def _climbing_down(self, score: ReplyScore) -> CallerTurn:
        gain, parts = self._gain(score)
        patience = self.persona.temper.patience
        if gain == 0:
            if score.has(Label.NEXT_STEPS):
                return self._premature(score, f"still at level {int(self.level)}")
            self._anger += self.options.idle_anger
            reason = (
                f"Nothing that works at level {int(self.level)} ({self.level.advice}); "
                f"anger +{self.options.idle_anger:g}"
            )
            if self._anger >= self.persona.temper.fuse:
                return self._step_up(
                    score.labels, Rule.UNHEARD_ESCALATES, reason, self._level_line(self.level.up())
                )
            return self._say(
                self._level_line(), self.level, score.labels, Rule.NO_PROGRESS, reason + "."
            )
        self._calm += gain
        earned = ", ".join(parts)
        if self._calm >= patience:
            return self._step_down(
                score, f"{earned}: calm {self._calm:g} reached patience {patience:g}"
            )
        reason = f"{earned}: calm {self._calm:g} of {patience:g} needed to come down"
        if self.level is Level.HOSTILITY and score.has(Label.BOUNDARY):
            return self._boundary_defied(score, reason)
        if score.has(Label.APOLOGY) and score.apology is not ApologyKind.SPECIFIC:
            line = self._pick("apology_blanket", self.persona.reactions[Reaction.APOLOGY_BLANKET])
            return self._say(
                self.persona.fill(line),
                self.level,
                score.labels,
                Rule.BLANKET_APOLOGY,
                reason + "; a blanket apology lands only half.",
            )
        if self._invites_story(score) and self.level is Level.BLAME and not self._story.exhausted:
            return self._tell_story(score, reason + ".")
        line = self._pick("heard", self.persona.reactions[Reaction.HEARD])
        return self._say(
            self.persona.fill(line), self.level, score.labels, Rule.CALMING, reason + "."
        )

    def _boundary_defied(self, score: ReplyScore, reason: str) -> CallerTurn:
        self._defied_boundaries += 1
        if self._defied_boundaries > self.options.warnings_before_end:
            reason += f"; after {self.options.warnings_before_end} warnings the trainee ends the call politely."
            return self._finish(
                self.persona.fill(self.persona.ended),
                Level.HOSTILITY,
                score.labels,
                Rule.ENDED_AFTER_WARNINGS,
                reason,
                Outcome.ENDED,
            )
        line = self._pick("boundary_defied", self.persona.reactions[Reaction.BOUNDARY_DEFIED])
        reason += (
            f"; warning {self._defied_boundaries} of {self.options.warnings_before_end}: "
            "repeat it, then end the call."
        )
        return self._say(
            self.persona.fill(line), self.level, score.labels, Rule.BOUNDARY_DEFIED, reason
        )

    def _premature(self, score: ReplyScore, why: str) -> CallerTurn:
        self._anger += self.options.premature_anger
        reason = f"Next steps before the caller feels heard ({why}); anger +{self.options.premature_anger:g}"
        line = self.persona.fill(
            self._pick("premature", self.persona.reactions[Reaction.PREMATURE_SOLUTION])
        )
        if self._anger >= self.persona.temper.fuse:
            return self._step_up(score.labels, Rule.UNHEARD_ESCALATES, reason, line)
        return self._say(line, self.level, score.labels, Rule.PREMATURE_SOLUTION, reason + ".")

    def _tell_story(self, score: ReplyScore, reason: str) -> CallerTurn:
        piece = self._story.next_piece() or ""
        return self._say(self.persona.fill(piece), self.level, score.labels, Rule.STORY, reason)

    # -- moving on the staircase --------------------------------------------------------------
    def _step_up(
        self, labels: tuple[Label, ...], rule: Rule, reason: str, reaction: str
    ) -> CallerTurn:
        new_level = self.level.up()
        reason += (
            f"; anger reached the fuse {self.persona.temper.fuse:g}: "
            f"up to level {int(new_level)} ({new_level.title})."
        )
        self._calm = self._anger = 0.0
        self._defied_boundaries = 0
        if new_level is Level.SEPARATION:
            line = f"{reaction} {self.persona.fill(self.persona.hang_up)}"
            return self._finish(line, new_level, labels, rule, reason, Outcome.HUNG_UP)
        if new_level is Level.MORE_PROBLEMS and not self._side_grievance_raised:
            self._side_grievance_raised = True
            reaction = f"{reaction} {self.persona.fill(self.persona.side_grievance)}"
            reason += " The caller drags in a side grievance."
        return self._say(reaction, new_level, labels, rule, reason)

    def _step_down(self, score: ReplyScore, reason: str) -> CallerTurn:
        new_level = self.level.down()
        self._calm = 0.0
        self._anger = 0.0
        self._defied_boundaries = 0
        reason += f": down to level {int(new_level)} ({new_level.title})."
        reactions = self.persona.reactions
        if self.level is Level.HOSTILITY and score.has(Label.BOUNDARY):
            line = self._pick("boundary_accepted", reactions[Reaction.BOUNDARY_ACCEPTED])
        elif self.level is Level.MORE_PROBLEMS and score.has(Label.REFOCUS):
            line = self._pick("refocus", reactions[Reaction.REFOCUS])
        elif score.has(Label.APOLOGY) and score.apology is ApologyKind.SPECIFIC:
            line = self._pick("apology_accepted", reactions[Reaction.APOLOGY_ACCEPTED])
        elif self._invites_story(score) and not self._story.exhausted:
            line = self._story.next_piece() or ""
        else:
            line = self._pick("heard", reactions[Reaction.HEARD])
        return self._say(self.persona.fill(line), new_level, score.labels, Rule.CALMED_DOWN, reason)

    # -- bookkeeping --------------------------------------------------------------------------
    def _level_line(self, level: Level | None = None) -> str:
        level = level or self.level
        lines = self.persona.level_lines.get(level) or self.persona.level_lines[Level.HOSTILITY]
        return self.persona.fill(self._pick(f"level{int(level)}", lines))

    def _pick(self, key: str, variants: tuple[str, ...]) -> str:
        return self._lines.pick(key, variants)

    def _say(
        self, line: str, new_level: Level, labels: tuple[Label, ...], rule: Rule, reason: str
    ) -> CallerTurn:
        reason, self._note = reason + self._note, ""
        transition = Transition(
            self._turn, self.level, new_level, labels, rule, reason, self._calm, self._anger
        )
        self.transitions.append(transition)
        if new_level is not self.level:
            self._uses.clear()  # repeats lose force within a level; a new level is a new situation
        self.level = new_level
        return CallerTurn(line, new_level, self.outcome, transition)

    def _finish(
        self,
        line: str,
        new_level: Level,
        labels: tuple[Label, ...],
        rule: Rule,
        reason: str,
        outcome: Outcome,
    ) -> CallerTurn:
        self.outcome = outcome
        return self._say(line, new_level, labels, rule, reason)
