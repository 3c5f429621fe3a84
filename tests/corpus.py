"""A tiny labelled corpus we write ourselves, for fast training tests (not for quality)."""

from __future__ import annotations

import random

import numpy as np

GENTLE = [
    "The cat slept in the sun by the kitchen window while the kettle hummed.",
    "They baked bread together and laughed when the flour went everywhere.",
    "Grandmother read the letter twice and smiled at the drawings in the margin.",
    "The garden was full of roses and the bees were busy among them.",
    "He carried the picnic basket up the hill and they watched the boats.",
    "The library was warm and quiet and smelled of old paper and cocoa.",
]
VIOLENT = [
    "He drove the knife into the guard's chest and blood poured over the stones.",
    "The soldier screamed as the blade opened his thigh and he fell into the mud.",
    "She smashed the poker into his skull and the blood pooled around his head.",
    "The battle raged until the wall was slick with blood and the dead lay in heaps.",
    "They tortured the prisoner until his bones cracked and he begged for death.",
    "The axe came down and severed his arm, and the gore spattered the walls.",
]
EXPLICIT = [
    "She moaned as he kissed her breasts and slid his hand between her thighs, and his cock was hard against her.",
    "He licked her clit until she came, then pushed his cock into her wet pussy and fucked her slowly.",
    "They were naked on the sheets, his erection in her hand, her nipples hard, both of them close to orgasm.",
]
SWEARING = [
    "Fuck this, he shouted, this is fucking bullshit and you know it, you bastard.",
    "Shit, she swore, what the fuck were you thinking, you stupid asshole.",
    "Oh fuck off, Danny, this whole damn thing is your fucking fault.",
]


def make_corpus(n: int = 48, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (rating level, then one column per warning in taxonomy order: violence and
    strong_language known, the rest NaN) and groups. Ratings: gentle general, swearing teen,
    violent mature, explicit explicit."""
    from classifier.labels import load_taxonomy

    ids = load_taxonomy().warning_ids
    rng = random.Random(seed)
    texts, rows = [], []
    for i in range(n):
        kind = i % 4
        pool = (GENTLE, VIOLENT, SWEARING, EXPLICIT)[kind]
        # Story-length texts (the trainer skips texts under 150 words): the pool's sentences among gentle ones.
        sentences = [rng.choice(pool) for _ in range(rng.randint(4, 8))] + [rng.choice(GENTLE) for _ in range(10)]
        rng.shuffle(sentences)
        texts.append(" ".join(sentences))
        row = [float((0, 2, 1, 3)[kind])] + [np.nan] * len(ids)
        row[1 + ids.index("violence")] = 1.0 if kind == 1 else 0.0
        row[1 + ids.index("strong_language")] = 1.0 if kind == 2 else 0.0
        rows.append(row)
    return texts, np.array(rows), np.array([f"g{i}" for i in range(n)])
