"""The shipped default model: clear-cut passages, the examples, and what the artifact holds."""

import gzip
import json
from pathlib import Path

import pytest

from tests import clear_cut
from tests.conftest import REPO

DEFAULT = REPO / "models" / "ficrate-default"


@pytest.fixture(scope="module")
def default_model():
    if not (DEFAULT / "model_card.json").exists():
        pytest.skip("no default model in models/")
    from classifier.modeling.persist import load_model

    return load_model(DEFAULT)


def test_default_model_is_small_and_carded(default_model):
    _model, card = default_model
    assert (DEFAULT / "weights.npz").stat().st_size <= 1024 * 1024
    assert not list(DEFAULT.glob("*.joblib")) and not list(DEFAULT.glob("*.pkl"))
    for key in (
        "created",
        "versions",
        "git_commit",
        "command",
        "data",
        "metrics",
        "thresholds",
        "lexicons",
        "sources",
        "audit_defaults",
    ):
        assert key in card, key
    assert card["command"].startswith("ficrate train ")
    assert (DEFAULT / "MODEL_CARD.md").exists()


@pytest.mark.parametrize(
    ("name", "warning", "min_rating"),
    [
        ("PROFANITY", "strong_language", "teen"),
        ("BATTLE", "violence", "mature"),
        ("FUNERAL", "major_character_death", "general"),
        ("CUTTING", "self_harm", "teen"),
        ("PARTY", "substance_use", "teen"),
        ("SEX", "sexual_content", "explicit"),
        # Non-graphic, but unmistakable: the archives' Rape/Non-Con and Underage warnings apply.
        ("NONCON", "rape_noncon", "mature"),
        ("CHILD_ABUSE", "underage", "mature"),
    ],
)
def test_clear_cut_passages(default_model, name, warning, min_rating):
    from classifier.labels import RATING_LEVELS

    model, _ = default_model
    (p,) = model.predict([getattr(clear_cut, name)])
    assert warning in p.warnings, (name, p.warning_probs)
    assert RATING_LEVELS.index(p.rating) >= RATING_LEVELS.index(min_rating), (name, p.rating_probs)
    assert p.evidence[warning], name


def test_bakery_morning_is_general_without_warnings(default_model):
    model, _ = default_model
    (p,) = model.predict([clear_cut.BAKERY])
    assert p.rating == "general", p.rating_probs
    assert p.warnings == [], p.warning_probs


def test_one_explicit_scene_makes_a_gentle_story_explicit(default_model):
    model, _ = default_model
    gentle = "\n\n".join([clear_cut.BAKERY] * 12)
    (quiet,) = model.predict([gentle])
    (scene,) = model.predict([gentle + "\n\n" + clear_cut.SEX + "\n\n" + gentle])
    assert quiet.rating == "general"
    assert scene.rating == "explicit"
    top = scene.evidence["rating"][0]
    assert "naked" in scene_text_span(gentle + "\n\n" + clear_cut.SEX + "\n\n" + gentle, top)


def test_a_sensual_scene_without_explicit_words_makes_a_gentle_story_mature(default_model):
    """Sexual description with no anatomy (the Mature floor), while a long kiss stays below it."""
    from classifier.labels import RATING_LEVELS

    model, _ = default_model
    gentle = "\n\n".join([clear_cut.BAKERY] * 6)
    scene = (
        "He undressed her slowly by the fire and she pulled him down onto the rug, both of them naked "
        "now. She moaned as his hands caressed her, and moaned again, writhing beneath him, and he kept "
        "thrusting, slow and deep, until the pleasure broke over her. Later they lay tangled together, "
        "her underwear somewhere under the sofa, and he kissed the sweat from her shoulder while she "
        "laughed, breathless, still writhing at the last sensations of it."
    )
    kiss = (
        "He kissed her at the door of the bakery, slow and sweet, her hands on his shoulders. She laughed "
        "against his lips, kissed him again, and they went back inside to finish the cake."
    )
    (sensual,) = model.predict([gentle + "\n\n" + scene + "\n\n" + gentle])
    (kissing,) = model.predict([gentle + "\n\n" + kiss + "\n\n" + gentle])
    assert RATING_LEVELS.index(sensual.rating) >= RATING_LEVELS.index("mature"), sensual.rating_probs
    assert kissing.rating in ("general", "teen"), kissing.rating_probs
    assert "sexual_content" not in kissing.warnings


def test_everyday_senses_of_romance_words_keep_a_general_story_general(default_model):
    """Hips in a dance, panting after it, a passionate hobby, a whimpering dog: ordinary prose in any
    fandom, and no reason to read a story as Teen or Mature."""
    model, _ = default_model
    story = (
        "The village hall smelled of floor polish and oranges. Marta had been practising the waltz for weeks, and tonight her grandmother had come to watch, sitting by the radiator with a thermos of tea.\n\n"
        "The band started slowly. Marta counted under her breath, one two three, and let her hips follow the music the way her teacher had shown her. Her partner, a tall boy from the bakery, trod on her foot twice and apologised both times. By the end of the first dance they were both panting and laughing.\n\n"
        '"You\'re passionate about this," he said, surprised.\n\n'
        '"I\'ve wanted to dance since I was six," she said. "It was my one great desire. Mum said I\'d grow out of it."\n\n'
        "They danced the next one, and the next. Outside it began to snow. Between songs, the old men at the back argued about the football, and somebody's dog whimpered at the door until it was let in to sleep under a table.\n\n"
        "At ten the band packed up. Marta's grandmother kissed her on both cheeks and said she had never seen anything so lovely. They walked home together through the snow, arm in arm, and made cocoa, and talked about the costumes for the spring show until it was very late.\n\n"
        "In the morning there was a note on the table from her grandmother: a newspaper cutting about a dance school in the city, and the words, in shaky handwriting, Why not?"
    )
    (p,) = model.predict([story])
    assert p.rating == "general", p.rating_probs
    assert p.rating_probs["general"] > 0.7, p.rating_probs
    # "pleasure" thrice in two lines: a sensual word alone is no sex scene, so no Mature floor
    (short,) = model.predict(
        [
            "Summer's pleasures were simple: ice cream, swimming, and the pleasure of a good book. It gave "
            "her great pleasure to watch the garden grow."
        ]
    )
    assert short.rating == "general", short.rating_probs


def scene_text_span(text, ev):
    return text[ev.start : ev.end]


def test_model_holds_no_training_text(shared_data):
    """No summary or full-text fragment of 40+ characters appears in the model's files."""
    blob = b"".join(
        (DEFAULT / f).read_bytes() for f in ("model.json", "weights.npz", "model_card.json", "MODEL_CARD.md")
    )
    hits = 0
    for name, key in (("ao3_summaries.jsonl.gz", "summary"), ("fulltext.jsonl.gz", "text")):
        with gzip.open(shared_data / name, "rt", encoding="utf-8") as fh:
            for k, line in enumerate(fh):
                text = json.loads(line)[key] or ""
                for start in (0, len(text) // 2):
                    frag = text[start : start + 40]
                    if len(frag) == 40 and frag.encode("utf-8") in blob:
                        hits += 1
                if k > 2000:
                    break
    assert hits == 0


def test_short_texts_stay_in_their_bands(default_model):
    """Hand-written one-liners and short scenes: one swear word is at most teen, a kiss is not
    sexual content, a doctor's visit is not violence."""
    from classifier.labels import RATING_LEVELS

    model, _ = default_model
    swear, kiss, doctor, rainy = model.predict(
        [
            '"Oh, fuck," she said, and dropped the keys.',
            "He kissed her softly at the door, and she smiled all the way home.",
            "The doctor listened to his chest, took his temperature and wrote a prescription for the cough.",
            "It rained all afternoon. They played cards by the fire, and when Sam lost again he muttered "
            '"shit" and then "damn it", and everyone laughed and made more tea.',
        ]
    )
    assert RATING_LEVELS.index(swear.rating) <= 1, swear.rating_probs
    assert RATING_LEVELS.index(rainy.rating) <= 1, rainy.rating_probs
    assert "sexual_content" not in kiss.warnings and kiss.rating in ("general", "teen"), kiss.warning_probs
    assert "violence" not in doctor.warnings and doctor.rating == "general", (doctor.rating_probs, doctor.warning_probs)


def test_readme_names_the_default_training_command():
    readme = Path(REPO / "README.md").read_text()
    assert "ficrate train ../shared/data --out models/ficrate-default" in readme


def test_the_default_audit_flags_clear_cut_rape_and_underage_declared_without_warnings():
    import classifier
    from tests import clear_cut

    model = classifier.load_model()
    header = "Rating: Mature\nArchive Warning: No Archive Warnings Apply\n\n"
    for name, wid in (("NONCON", "rape_noncon"), ("CHILD_ABUSE", "underage")):
        result = model.audit(header + getattr(clear_cut, name))
        assert result.flagged and f"missing-warning:{wid}" in {v["kind"] for v in result.verdicts}, name
    # A story declaring the warning is not flagged for it.
    declared = model.audit("Rating: Mature\nArchive Warning: Rape/Non-Con\n\n" + clear_cut.NONCON)
    assert "missing-warning:rape_noncon" not in {v["kind"] for v in declared.verdicts}


def test_everyday_prose_is_general_and_a_gay_couple_is_not_profane(default_model):
    """Words with everyday senses (a fight about dishes, poker, smoke from toast, a held wrist) and
    identity words (gay, lesbian) do not make a gentle story read as teen or earn warnings."""
    model, _ = default_model
    everyday, couple = model.predict(
        [
            "On Saturday they had a fight about the dishes, which was stupid, and then laughed about it. "
            "She drank her coffee at the bar of the cafe, got high marks on her exam, and held her "
            "sister's wrist as they walked home through several streets. The girls from the choir came "
            "over; they played poker at the kitchen table until the smoke from the burnt toast set off the "
            "alarm, and her father yelled from upstairs that he was trying to sleep. 'I didn't want to "
            "wake you,' she called, and forced a smile. Nobody was hurt, and the cake was still good.",
            "Oh my god, Tom thought, they were really doing it. Two gay men at the town hall, their lesbian "
            "neighbours and their queer friends from the bookshop all crying into their handkerchiefs, and "
            "his husband laughing as he fumbled the ring. Afterwards there was tea and cake in the garden.",
        ]
    )
    for p in (everyday, couple):
        assert p.rating == "general", p.rating_probs
        assert p.warnings == [], p.warning_probs


def test_content_a_guideline_names_has_non_negative_rating_weights():
    """Sex, gore, drugs, alcohol, self-harm, abuse and non-consent can only raise a rating: the
    categories in lexicons.json's ``rating_monotone`` keep rating weights >= 0 in the shipped model."""
    import numpy as np

    from classifier.features import lexicon_spec

    if not (DEFAULT / "weights.npz").exists():
        pytest.skip("no default model in models/")
    spec = json.loads((DEFAULT / "model.json").read_text(encoding="utf-8"))
    arrays = np.load(DEFAULT / "weights.npz")
    monotone = set(lexicon_spec()["rating_monotone"]["categories"])
    flagged = [i for i, name in enumerate(spec["features"]) if name.split(":", 1)[0] in monotone]
    assert len(flagged) >= 50
    assert (arrays["rating_coef"][:, flagged] >= -1e-9).all()


#: A love scene short of explicit, ours, and sentences of content it may gain.
LOVE_SCENE = (
    "The cabin was dark but for the stove. Mara pulled him down beside her, undressed him slowly, and "
    "they made love by the fire, her thighs around him, his mouth on her neck. Afterwards they lay "
    "naked under the blanket and talked about nothing until the rain stopped.\n\n"
)
ADDED = {
    "alcohol": "He had brought a bottle of contraband whisky, and they drank it from tin cups until they were drunk.",
    "drugs": "She crushed the pills and cut the cocaine into lines, and they snorted them off the table.",
    "self_harm": "Later, alone, she took the razor from her bag and cut herself again, the way she had for years.",
    "abuse": "In the morning he remembered how his father used to beat him and how he learned to flinch.",
    "gore": "Outside lay the wolf they had shot, its entrails spilled across the snow in a pool of blood.",
}


@pytest.mark.parametrize("kind", sorted(ADDED))
def test_adding_guideline_content_never_makes_a_story_read_gentler(default_model, kind):
    from classifier.features import load_lexicon
    from classifier.labels import RATING_LEVELS

    model, _ = default_model
    added = ADDED[kind]
    # The same story with a plain sentence of as many words in its place: content added, not
    # words (more words alone dilute the scene's own density, a different question).
    plain = " ".join(("the road ran past an old stone wall and a field " * 8).split()[: len(added.split())]) + "."
    assert not any(load_lexicon().count(plain.lower())[0])
    (before,) = model.predict([LOVE_SCENE * 3 + plain])
    (after,) = model.predict([LOVE_SCENE * 3 + added])
    for k in range(1, len(RATING_LEVELS)):
        up_before = sum(before.rating_probs[name] for name in RATING_LEVELS[k:])
        up_after = sum(after.rating_probs[name] for name in RATING_LEVELS[k:])
        assert up_after >= up_before - 1e-6, (kind, RATING_LEVELS[k], before.rating_probs, after.rating_probs)
