"""The sliders panel: truncation, seed, style mix, named attributes, unsupervised directions
(coarse / middle / fine), text directions and the tuned-policy strength.

A view over the DesignModel: user moves become undo commands; model changes move handles.
Directions come from StudioState (a list of Direction); with none, an empty-state note says
which feature provides them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from designer_app.commands import RemoveOffsetCommand, SetFieldCommand, SetOffsetCommand
from designer_app.models.design_model import DesignModel
from designer_app.models.studio_state import Direction, StudioState
from designer_app.widgets.value_slider import ValueSlider
from engine.project import Offset, PolicyRef

GROUPS = (
    ("attribute", "Attributes"),
    ("coarse", "Coarse — structure"),
    ("middle", "Middle — motifs"),
    ("fine", "Fine — colour and texture"),
)
DIR_RANGE = 3.0


class SlidersPanel(QWidget):
    textDirectionRequested = Signal(str)
    dragReleased = Signal()
    dragPressed = Signal()

    def __init__(
        self,
        model: DesignModel,
        state: StudioState,
        stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.state, self.stack = model, state, stack
        self.sliders: dict[str, ValueSlider] = {}
        self._groups: dict[str, list[Offset]] = {}  # slider id -> the offsets it drives
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(330)
        inner = QWidget()
        scroll.setWidget(inner)
        QVBoxLayout(self).addWidget(scroll)
        self.layout_ = QVBoxLayout(inner)

        basics = QGroupBox(self.tr("Basics"), inner)
        bl = QVBoxLayout(basics)
        self.truncation = self._add(
            bl,
            ValueSlider(
                "truncation", self.tr("Truncation ψ"), 0.0, 1.5, 0.01, model.design.truncation
            ),
        )
        self.truncation.edited.connect(
            lambda v, k: self._push_field(
                "truncation", v, self.tr("Truncation ψ → %1").replace("%1", f"{v:.2f}"), k
            )
        )
        self.truncate_region = self._switch(
            bl,
            self.tr("Truncate toward the region's mean"),
            self.tr(
                "ψ pulls the pattern toward the typical look of the chosen region rather than "
                "toward the average of all eight regions"
            ),
            model.design.truncate_to == "region",
            self._toggle_truncate_to,
        )
        self.text_prior = self._switch(
            bl,
            self.tr("Read the words through trained patterns"),
            self.tr(
                "Conditions the generator on the training patterns nearest to your words "
                "(the model's text prior; with this model each seed takes a different one "
                "of them) rather than on the words alone; designs saved "
                "before it existed open with it off, so they look as they did"
            ),
            model.design.condition_prior,
            self._toggle_text_prior,
        )
        self.region_prior = self._switch(
            bl,
            self.tr("… only the region's patterns"),
            self.tr(
                "Takes those training patterns only from the chosen region, so the design "
                "shows that region even when the words belong to another; designs saved "
                "before this existed open with it off, so they look as they did"
            ),
            model.design.prior_by_region,
            self._toggle_region_prior,
        )
        self.faithful_prior = self._switch(
            bl,
            self.tr("… only patterns the model draws well"),
            self.tr(
                "Takes those training patterns only from the ones this model reproduces "
                "faithfully, which makes designs look more like their region; designs saved "
                "before this existed open with it off, so they look as they did"
            ),
            model.design.prior_faithful,
            self._toggle_faithful_prior,
        )
        self.seed = self._add(
            bl, ValueSlider("seed", self.tr("Seed"), 0, 9999, 1, model.design.seed, decimals=0)
        )
        self.seed.edited.connect(
            lambda v, k: self._push_field(
                "seed", int(v), self.tr("Seed → %1").replace("%1", str(int(v))), k
            )
        )
        # where the motifs go: the seed of the design's synthesis noise (the generator places
        # its motifs from it), so the style stays while the arrangement changes
        d0 = model.design
        self.own_layout = self._switch(
            bl,
            self.tr("Layout from the seed"),
            self.tr(
                "Draws the design's noise, which decides where the motifs go, from its seed "
                "(new designs). Off: the generator's one shared noise, as designs saved "
                "before layouts existed and matched reference images use"
            ),
            d0.noise_mode == "seeded",
            self._toggle_own_layout,
        )
        self.noise_seed = self._add(
            bl,
            ValueSlider(
                "noise_seed",
                self.tr("Layout"),
                0,
                9999,
                1,
                d0.seed if d0.noise_seed is None else d0.noise_seed,
                decimals=0,
            ),
        )
        self.noise_seed.edited.connect(
            lambda v, k: self._push_field(
                "noise_seed", int(v), self.tr("Layout → %1").replace("%1", str(int(v))), k
            )
        )
        self._sync_layout_slider()
        self.layout_.addWidget(basics)

        mix = QGroupBox(self.tr("Style mix"), inner)
        mix.setToolTip(
            self.tr(
                "Structure (coarse layers) from this design, colour and texture "
                "(layers from the crossover on) from another seed"
            )
        )
        ml = QVBoxLayout(mix)
        self.mix_on = QCheckBox(self.tr("Mix with another seed"), mix)
        self.mix_on.toggled.connect(self._toggle_mix)
        ml.addWidget(self.mix_on)
        self.mix_seed = self._add(
            ml, ValueSlider("mix_seed", self.tr("Source seed"), 0, 9999, 1, 0, decimals=0)
        )
        self.mix_seed.edited.connect(
            lambda v, k: self._push_field(
                "mix_seed",
                int(v),
                self.tr("Style-mix source → seed %1").replace("%1", str(int(v))),
                k,
            )
        )
        self.crossover = self._add(
            ml,
            ValueSlider(
                "mix_from_layer",
                self.tr("Crossover layer"),
                1,
                13,
                1,
                model.design.mix_from_layer,
                decimals=0,
            ),
        )
        self.crossover.edited.connect(
            lambda v, k: self._push_field(
                "mix_from_layer",
                int(v),
                self.tr("Crossover layer → %1").replace("%1", str(int(v))),
                k,
            )
        )
        self.layout_.addWidget(mix)

        self.dir_box = QGroupBox(self.tr("Directions"), inner)
        self.dir_layout = QVBoxLayout(self.dir_box)
        self.layout_.addWidget(self.dir_box)

        text_box = QGroupBox(self.tr("Text directions"), inner)
        tl = QVBoxLayout(text_box)
        row = QHBoxLayout()
        self.text_edit = QLineEdit(text_box)
        self.text_edit.setObjectName("textDirection")
        self.text_edit.setPlaceholderText(self.tr("e.g. more golden ribbons"))
        self.text_add = QPushButton(self.tr("Add"), text_box)
        self.text_add.clicked.connect(self._request_text)
        self.text_edit.returnPressed.connect(self._request_text)
        row.addWidget(self.text_edit, 1)
        row.addWidget(self.text_add)
        tl.addLayout(row)
        self.text_note = QLabel(text_box)
        self.text_note.setObjectName("hint")
        self.text_note.setWordWrap(True)
        tl.addWidget(self.text_note)
        self.text_rows = QVBoxLayout()
        tl.addLayout(self.text_rows)
        self.layout_.addWidget(text_box)

        self.policy_box = QGroupBox(self.tr("Tuned policy"), inner)
        pl = QVBoxLayout(self.policy_box)
        self.policy = self._add(pl, ValueSlider("policy", self.tr("Strength"), 0.0, 1.0, 0.01, 1))
        self.policy.edited.connect(self._push_policy)
        self.policy_box.setVisible(False)
        self.layout_.addWidget(self.policy_box)
        self.layout_.addStretch(1)

        model.changed.connect(self._on_model)
        state.directionsChanged.connect(self._rebuild_directions)
        state.modelChanged.connect(self._on_engine_model)
        self._rebuild_directions()
        self._on_model("*")

    # ------------------------------------------------------------------ building
    def _add(self, layout: QVBoxLayout, s: ValueSlider) -> ValueSlider:
        layout.addWidget(s)
        self.sliders[s.slider_id] = s
        s.released.connect(self.dragReleased)
        s.pressed.connect(self.dragPressed)
        return s

    def _clear(self, layout: QVBoxLayout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            w = item.widget()
            if w is not None:
                if isinstance(w, ValueSlider):
                    self.sliders.pop(w.slider_id, None)
                w.setParent(None)
                w.deleteLater()
            elif item.layout() is not None:
                self._clear(item.layout())  # type: ignore[arg-type]

    def _rebuild_directions(self) -> None:
        self._clear(self.dir_layout)
        self._groups = {k: v for k, v in self._groups.items() if k.startswith("text:")}
        dirs: list[Direction] = self.state.directions
        if not dirs:
            note = QLabel(
                self.tr(
                    "No latent directions for this model yet. Named attribute sliders (complexity, "
                    "density, gold, warmth, symmetry) and the unsupervised coarse / middle / fine "
                    "directions come from engine.directions, which is not in this build."
                ),
                self.dir_box,
            )
            note.setObjectName("hint")
            note.setWordWrap(True)
            self.dir_layout.addWidget(note)
            return
        for group, title in GROUPS:
            members = [d for d in dirs if d.group == group]
            if not members:
                continue
            head = QLabel(f"<b>{self.tr(title)}</b>", self.dir_box)
            self.dir_layout.addWidget(head)
            for d in members:
                vec = d.vector_for(self.model.design.region)
                self._groups[d.id] = [Offset(d.id, 0.0, d.layers, vec, d.name)]
                s = ValueSlider(
                    d.id, d.name, -DIR_RANGE, DIR_RANGE, 0.05, self.model.offset_strength(d.id)
                )
                tip = (
                    self.tr("layers %1–%2")
                    .replace("%1", str(d.layers[0]))
                    .replace("%2", str(d.layers[1] - 1))
                )
                if d.by_region:
                    tip += self.tr("; a direction of its own in each region")
                s.setToolTip(tip)
                s.edited.connect(lambda v, k, oid=d.id: self._push_offset(oid, v, k))
                self._add(self.dir_layout, s)

    def _text_groups(self) -> list[str]:
        """Slider ids of the design's text directions, in order (parts `id#k` grouped)."""
        out: list[str] = []
        for o in self.model.design.offsets:
            gid = o.id.split("#", 1)[0]
            if gid.startswith("text:") and gid not in out:
                out.append(gid)
        return out

    def _rebuild_text_rows(self) -> None:
        self._clear(self.text_rows)
        self._groups = {k: v for k, v in self._groups.items() if not k.startswith("text:")}
        for gid in self._text_groups():
            parts = self.model.group(gid)
            label = parts[0].label or gid[5:]
            self._groups[gid] = [Offset(o.id, 0.0, o.layers, o.vector, o.label) for o in parts]
            s = ValueSlider(
                gid, label, -DIR_RANGE, DIR_RANGE, 0.05, parts[0].strength, removable=True
            )
            s.setToolTip(", ".join(f"layers {o.layers[0]}–{o.layers[1] - 1}" for o in parts))
            s.edited.connect(lambda v, k, g=gid: self._push_offset(g, v, k))
            s.removeRequested.connect(
                lambda g=gid, lab=label: self.stack.push(
                    RemoveOffsetCommand(self.model, g, self.tr("Remove “%1”").replace("%1", lab))
                )
            )
            self._add(self.text_rows, s)

    # ------------------------------------------------------------------ user edits
    def _toggle_truncate_to(self, on: bool) -> None:
        value = "region" if on else "global"
        if self.model.design.truncate_to != value:
            text = (
                self.tr("Truncate toward the region's mean")
                if on
                else self.tr("Truncate toward the global mean")
            )
            self.stack.push(SetFieldCommand(self.model, "truncate_to", value, text))

    def _switch(
        self, layout: QVBoxLayout, text: str, tip: str, checked: bool, slot: Callable[[bool], None]
    ) -> QCheckBox:
        """A check box of the Basics group: text, tooltip, state, and what toggling does."""
        box = QCheckBox(text, layout.parentWidget())
        box.setToolTip(tip)
        box.setChecked(checked)
        box.toggled.connect(slot)
        layout.addWidget(box)
        return box

    def _toggle_own_layout(self, on: bool) -> None:
        mode = "seeded" if on else "const"
        if self.model.design.noise_mode != mode:
            text = self.tr("Layout from the seed") if on else self.tr("Shared layout")
            self.stack.push(SetFieldCommand(self.model, "noise_mode", mode, text))

    def _toggle_region_prior(self, on: bool) -> None:
        if self.model.design.prior_by_region != on:
            text = self.tr("Patterns of the region") if on else self.tr("Patterns of all regions")
            self.stack.push(SetFieldCommand(self.model, "prior_by_region", on, text))

    def _toggle_faithful_prior(self, on: bool) -> None:
        if self.model.design.prior_faithful != on:
            text = self.tr("Patterns it draws well") if on else self.tr("All trained patterns")
            self.stack.push(SetFieldCommand(self.model, "prior_faithful", on, text))

    def _toggle_text_prior(self, on: bool) -> None:
        if self.model.design.condition_prior != on:
            text = self.tr("Words through trained patterns") if on else self.tr("Words alone")
            self.stack.push(SetFieldCommand(self.model, "condition_prior", on, text))

    def _push_field(self, field: str, value: object, text: str, key: str) -> None:
        self.stack.push(SetFieldCommand(self.model, field, value, text, merge_key=key))

    def _push_offset(self, slider_id: str, value: float, key: str) -> None:
        parts = self._groups.get(slider_id)
        if not parts:
            return
        label = parts[0].label or slider_id
        self.stack.push(
            SetOffsetCommand(self.model, parts, value, f"{label} → {value:+.2f}", merge_key=key)
        )

    def _push_policy(self, value: float, key: str) -> None:
        p = self.model.design.policy
        if p is None:
            return
        self._push_field(
            "policy",
            PolicyRef(p.path, p.policy_id, value),
            self.tr("Policy strength → %1").replace("%1", f"{value:.2f}"),
            key,
        )

    def _toggle_mix(self, on: bool) -> None:
        want = int(self.mix_seed.value()) if on else None
        if want != self.model.design.mix_seed:
            self.stack.push(
                SetFieldCommand(
                    self.model,
                    "mix_seed",
                    want,
                    self.tr("Style mix on") if on else self.tr("Style mix off"),
                )
            )

    def _request_text(self) -> None:
        t = self.text_edit.text().strip()
        if t:
            self.text_note.setText(self.tr("Finding the direction for “%1”…").replace("%1", t))
            self.textDirectionRequested.emit(t)

    def text_direction_done(self, message: str) -> None:
        self.text_note.setText(message)
        if not message:
            self.text_edit.clear()

    # ------------------------------------------------------------------ model → view
    def _on_engine_model(self) -> None:
        info = self.state.info
        if info is not None:  # switches the loaded model cannot honour are shown disabled
            has_means = bool(getattr(info, "region_means", ()))
            self.truncate_region.setEnabled(has_means)
            if not has_means:
                self.truncate_region.setToolTip(
                    self.tr("This model ships no region means (run `wenyang directions fit`)")
                )
            has_prior = bool(getattr(info, "has_prior", False)) and int(info.c_dim) > 0
            self.text_prior.setEnabled(has_prior)
            if not has_prior:
                self.text_prior.setToolTip(
                    self.tr("This model has no text prior (run `wenyang train gan-prior`)")
                )
            by_region = has_prior and bool(getattr(info, "prior_regions", False))
            self.region_prior.setEnabled(by_region)
            if not by_region:
                self.region_prior.setToolTip(
                    self.tr(
                        "This model's text prior does not know its patterns' regions "
                        "(rebuild it with `wenyang train gan-prior`)"
                    )
                )
            faithful = has_prior and bool(getattr(info, "prior_faithful", False))
            self.faithful_prior.setEnabled(faithful)
            if not faithful:
                self.faithful_prior.setToolTip(
                    self.tr(
                        "This model's text prior does not mark the patterns it draws well "
                        "(rebuild it with `wenyang train gan-prior --fidelity-keep 0.5`)"
                    )
                )
        n = self.state.num_ws
        if n > 1:
            self.crossover.set_range(1, n - 1)
            self.crossover.set_value(min(self.model.design.mix_from_layer, n - 1))

    def _on_model(self, field: str) -> None:
        d = self.model.design
        if field in ("*", "truncation"):
            self.truncation.set_value(d.truncation)
        if field in ("*", "truncate_to"):
            self.truncate_region.blockSignals(True)
            self.truncate_region.setChecked(d.truncate_to == "region")
            self.truncate_region.blockSignals(False)
        if field in ("*", "condition_prior"):
            self.text_prior.blockSignals(True)
            self.text_prior.setChecked(d.condition_prior)
            self.text_prior.blockSignals(False)
        if field in ("*", "prior_by_region"):
            self.region_prior.blockSignals(True)
            self.region_prior.setChecked(d.prior_by_region)
            self.region_prior.blockSignals(False)
        if field in ("*", "prior_faithful"):
            self.faithful_prior.blockSignals(True)
            self.faithful_prior.setChecked(d.prior_faithful)
            self.faithful_prior.blockSignals(False)
        if field in ("*", "seed"):
            self.seed.set_value(d.seed)
        if field in ("*", "seed", "noise_seed", "noise_mode"):
            self._sync_layout_slider()
        if field in ("*", "mix_seed"):
            self.mix_on.blockSignals(True)
            self.mix_on.setChecked(d.mix_seed is not None)
            self.mix_on.blockSignals(False)
            if d.mix_seed is not None:
                self.mix_seed.set_value(d.mix_seed)
        if field in ("*", "mix_from_layer"):
            self.crossover.set_value(d.mix_from_layer)
        if field in ("*", "policy"):
            self.policy_box.setVisible(d.policy is not None)
            if d.policy is not None:
                self.policy.set_value(d.policy.strength)
        if field == "region":  # not "*": an opened project keeps the vectors it was saved with
            self._retarget_region_sliders(d.region)
        if field in ("*", "offsets"):
            shown = [k for k in self.sliders if k.startswith("text:")]
            if self._text_groups() != shown:
                self._rebuild_text_rows()
            for oid, s in self.sliders.items():
                if oid.startswith(("attr:", "dir:", "text:")):
                    s.set_value(self.model.offset_strength(oid))

    def _retarget_region_sliders(self, region: str) -> None:
        """Sliders with a vector per region follow the design's region: the next drag adds
        the new region's vector, and one already in the design turns to it, strength kept.
        Derived from the region alone, so undoing the region change turns it back."""
        for d in self.state.directions:
            if not d.by_region:
                continue
            vec = d.vector_for(region)
            if d.id in self._groups:
                self._groups[d.id] = [Offset(d.id, 0.0, d.layers, vec, d.name)]
            self.model.retarget_offset(d.id, vec)

    def _sync_layout_slider(self) -> None:
        d = self.model.design
        self.noise_seed.set_value(d.seed if d.noise_seed is None else d.noise_seed)
        seeded = d.noise_mode == "seeded"
        self.own_layout.blockSignals(True)
        self.own_layout.setChecked(seeded)
        self.own_layout.setEnabled(d.noise_mode in ("seeded", "const"))
        self.own_layout.blockSignals(False)
        self.noise_seed.setEnabled(seeded)
        self.noise_seed.setToolTip(
            self.tr("Rearranges the motifs and keeps the style: the seed of the design's noise")
            if seeded
            else self.tr(
                "This design uses the generator's shared constant noise (saved before layouts "
                "existed, or matched to a reference image), so its layout is fixed"
            )
        )

    def any_slider_down(self) -> bool:
        """A design slider is being dragged right now (render previews meanwhile)."""
        return any(s.slider.isSliderDown() for s in self.sliders.values())

    def drag_sliders(self) -> list[ValueSlider]:
        """Every slider the user can drag now (the self-test drags them all)."""
        return [s for s in self.sliders.values() if s.isVisibleTo(self) and s.isEnabled()]
