"""Quality evaluation of generators: cultural accuracy by two classifiers (CLIP and an
independent colour/texture model), CLIP score, Fréchet CLIP distance, diversity, seams."""
