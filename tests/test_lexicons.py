"""The word lists count what a rating guideline names, not a word's everyday senses.

Sentences here are our own. Each one uses words whose everyday sense is not the guideline's
(a fight that is an argument, a wrist that is held, several, wake up, high school); the
categories they used to land in must stay at zero, while the guideline sense still counts.
"""

import re

import pytest

from classifier.features import lexicon_categories, load_lexicon, normalize_text


def hits(text: str) -> dict[str, float]:
    lex = load_lexicon()
    counts, _ = lex.count(normalize_text(text).lower())
    return dict(zip(lex.names, counts, strict=True))


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("She had several cups of tea and a severe cold.", ["gore"]),
        ("He would wake up early, for the first time in years, in the heat of summer.", ["death", "sex_meta"]),
        ("They played poker at the club until midnight.", ["weapons"]),
        ("She drank her coffee, had a drink of water at the bar, and wasted the afternoon.", ["substance_alcohol"]),
        (
            "The kitchen filled with smoke; she found a lighter, a needle and thread, and a high shelf.",
            ["substance_drugs"],
        ),
        (
            "The girls had a fight about the boy, and it hurt; her heart beat fast and she broke down.",
            ["violence", "minor"],
        ),
        ("He took her wrist, and they went on cutting out paper stars.", ["self_harm"]),
        ("She forced a smile; she didn't want to go, and she struggled with the zip.", ["nonconsent"]),
        ("Her father yelled that the plan was stupid and useless.", ["abuse"]),
        ("Her heart was beating fast; she choked back tears after the panic attack and wound the clock.", ["violence"]),
        ("She pinned the flower to her dress.", ["nonconsent"]),
        ("Fifteen minutes later she had twelve emails about her first year at university.", ["minor"]),
        ("She was shooting him a look over her slash fic; he went down on one knee.", ["violence", "sex_explicit"]),
        ("I'll kill you if you eat the last cake, you stupid man.", ["profanity_broad"]),
        (
            "The vapor rose from the glasses rimmed with frost; he rifled through the drawer.",
            ["substance_drugs", "sex_explicit", "weapons"],
        ),
        ("Oh god, it was ugly weather, so they made a pot of tea.", ["profanity_broad"]),
    ],
)
def test_everyday_senses_are_not_content(text, categories):
    got = hits(text)
    for cat in categories:
        assert got[cat] == 0, (cat, text)


def test_the_guideline_senses_still_count():
    got = hits("He stabbed the guard, blood on the knife, then shot him; she was fifteen. Fuck, she was drunk.")
    assert got["violence"] >= 2 and got["gore"] >= 1 and got["weapons"] >= 1
    assert got["minor"] >= 1 and got["profanity_severe"] >= 1 and got["substance_alcohol"] >= 1
    assert hits("The bone was severed.")["gore"] >= 1
    assert hits("The executioner waited.")["violence"] >= 1
    assert hits("They kidnapped him and slapped her.")["violence"] >= 1 and hits("He slapped her.")["abuse"] >= 1
    assert hits("She went down on him.")["sex_explicit"] >= 1
    assert hits("Shots rang out and he fired back.")["violence"] == 2  # gunfire, by its phrases
    # a minor is named as one: an age, a little girl, a schoolboy (the girls alone may be adults)
    assert hits("She was fifteen years old; the little girl and the schoolboys waited.")["minor"] >= 3
    assert hits("He was fourteen that summer; she had turned twelve.")["minor"] == 2
    assert hits("The girls went out for cocktails.")["minor"] == 0
    # sensual description short of explicit anatomy: its own category, not the explicit one
    sensual = hits("She arched against him, writhing, and his hips kept thrusting.")
    assert sensual["sex_sensual"] == 2 and sensual["sex_explicit"] == 0
    # words whose everyday senses outnumber the sexual one in other fandoms are not counted
    assert hits("She swayed her hips, panting, passionate about the dance; the dog whimpered.")["sex_sensual"] == 0
    assert hits("She moaned with pleasure, writhing beneath him.")["sex_sensual"] == 2
    # suicide as a figure of speech is excluded, not the word: the act and the thought still count
    assert hits("She wrote a suicide note; he had thoughts of suicide.")["self_harm"] == 2
    assert hits("It would be suicide to stay, and he was suicidal.")["self_harm"] == 1
    # "it's suicide" ends many a figure of speech, but a coroner says it too: only "... to" is excluded
    assert hits("The coroner said it's suicide, not murder; that's suicide, the note says.")["self_harm"] == 2


def test_identity_words_are_not_profanity_but_slurs_are():
    got = hits("Two gay men married; their lesbian and queer friends danced, and everyone was happy.")
    assert all(got[c] == 0 for c in got if c.startswith("profanity")), got
    broad = set(lexicon_categories()["profanity_broad"])
    if broad:  # better-profanity installed (a core dependency)
        assert not broad & {"gay", "lesbian", "lesbians", "queer", "bisexual", "homosexual", "god"}
        assert hits("He called him a faggot.")["profanity_broad"] >= 1


def test_context_words_count_only_beside_their_categorys_own_words():
    assert hits("She drank her coffee and went to the bar for the quiz.")["substance_alcohol"] == 0
    assert hits("She drank the vodka at the bar until she was wasted.")["substance_alcohol"] == 4
    assert hits("He got high marks and lit the lighter for the candles.")["substance_drugs"] == 0
    assert hits("He got high on the pills and smoked a joint.")["substance_drugs"] == 4
    assert hits("She held his wrist.")["self_harm"] == 0
    assert hits("There were razor scars on her wrist.")["self_harm"] == 3


def test_context_words_are_a_lexicon_of_their_own_categories():
    from classifier.features import CompiledLexicon

    lex = CompiledLexicon({"drugs": ["pills"], "other": ["tea"]}, {"drugs": ["high"]})
    assert lex.count("high tea")[0] == [0.0, 1.0]
    assert lex.count("high on pills, high")[0] == [3.0, 0.0]
    # the gate the counter and the quotes share: open where the category's own words occur
    assert lex.context_open(lex.own_counts("high on pills", ["high", "on", "pills"])) == [0]
    assert lex.context_open(lex.own_counts("high marks", ["high", "marks"])) == []
    assert CompiledLexicon({"drugs": ["pills"]}).context_open([1.0]) == []
    with pytest.raises(ValueError, match="unknown lexicon categories: nope"):
        CompiledLexicon({"drugs": ["pills"]}, {"nope": ["high"]})


def test_quotes_and_marks_follow_the_context_rule():
    from classifier.modeling.evidence import evidence_spans, quote
    from classifier.report import highlight

    story = "The sky was clear over the house. He got high on the pills and smoked a joint."
    low = story.lower()
    assert [low[a : a + 4] for a, _ in evidence_spans(low, "substance_use")] == ["high", "pill", "smok", "join"]
    assert evidence_spans("she got high marks and smoked the salmon.", "substance_use") == []
    assert quote(story, 0, len(story), "substance_use")[2] == "He got high on the pills and smoked a joint."
    assert str(highlight("He got high on pills.", "substance_use")) == "He got <mark>high</mark> on <mark>pills</mark>."
    assert str(highlight("High marks, a joint essay.", "substance_use")) == "High marks, a joint essay."


def test_quotes_and_marks_show_phrases_as_the_counter_counts_them():
    from classifier.modeling.evidence import evidence_spans, quote
    from classifier.report import highlight

    story = (
        "The dance was loud and bright. Everyone laughed at the punch bowl. "
        "She was only fifteen years old that night. The music played on."
    )
    # the age phrase is the evidence for underage: its sentence is quoted, the phrase marked whole
    assert quote(story, 0, len(story), "underage")[2] == "She was only fifteen years old that night."
    marked = str(highlight("She was only fifteen years old.", "underage"))
    assert re.fullmatch(r"She [a-z ]*<mark>[a-z ]*fifteen years old</mark>\.", marked), marked
    low = "they zipped the body bag shut. the body bags were stacked."
    # whole tokens only, as counted: "body bags" is not the phrase "body bag"
    assert [low[a:b] for a, b in evidence_spans(low, "major_character_death")] == ["body bag"]
    # a phrase of a context entry shows only where its category's own words occur
    assert evidence_spans("they jumped off the pier into the sea.", "self_harm") == []
    low = "she wanted to die, so she jumped off the bridge."
    assert "jumped off" in [low[a:b] for a, b in evidence_spans(low, "self_harm")]


def test_marks_see_curly_quotes_and_dashes_as_the_counter_does():
    from classifier.modeling.evidence import quote
    from classifier.report import highlight

    lex = load_lexicon()
    for text, label, shown in (
        ("He said don\u2019t tell anyone.", "abuse", "don\u2019t tell"),
        ("Her self\u2013harm scars.", "self_harm", "self\u2013harm"),
    ):
        assert sum(lex.count(normalize_text(text).lower())[0]) > 0  # the counter counts it ...
        assert f"<mark>{shown}</mark>" in str(highlight(text, label))  # ... and the mark shows it
        assert quote(text, 0, len(text), label)[2] == text
    # "fuck's" is one token the lexicon does not list, curly apostrophe or straight
    assert "<mark>" not in str(highlight("What the fuck\u2019s going on.", "strong_language"))
    assert "<mark>" not in str(highlight("What the fuck's going on.", "strong_language"))


# -- exclusions: everyday phrases built on a category's own word ------------------------------------
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("The nurse took his blood pressure and a blood sample, then ordered a blood test.", "gore"),
        ("She was dead tired, dying to sleep, and the dead end of the lane was quiet.", "death"),
        ("He buried his face in her hair and laughed; it was a grave mistake to bring cake.", "death"),
        ("She kicked off her shoes; they were killing time until the bus, and it was killing me.", "violence"),
        ("The nurse gave her an injection for the fever and threw the syringe away.", "substance_drugs"),
        ("She arched an eyebrow and held her tongue: it was a pleasure to meet a fellow book lover.", "sex_sensual"),
        (
            "He took pleasure in his sword drills, and the troll fell writhing in pain.",
            "sex_sensual",
        ),
        (
            "Flying into the nebula would be suicide; it's suicide to try, a suicide mission, and career suicide.",
            "self_harm",
        ),
    ],
)
def test_everyday_phrases_count_nothing(text: str, category: str) -> None:
    assert hits(text)[category] == 0


def test_exclusions_take_back_only_their_own_occurrences() -> None:
    # One blood test and one pool of blood: the test takes back its own "blood", not the other's.
    both = hits("After the blood test she found him lying in a pool of blood on the floor.")
    alone = hits("She found him lying in a pool of blood on the floor.")
    assert both["gore"] == alone["gore"] > 0
    assert hits("He kicked him hard and kicked off his boots.")["violence"] == 1
    # An injection counts for drugs beside a drug's own word (a context word), not alone.
    assert hits("She injected the heroin with a dirty syringe.")["substance_drugs"] == 3


def test_an_exclusion_without_its_categorys_word_is_refused() -> None:
    from classifier.features import CompiledLexicon

    with pytest.raises(ValueError, match="one of them a gore word"):
        CompiledLexicon({"gore": ["blood"]}, exclude={"gore": ["blood-red sky", "tomato soup"]})
    with pytest.raises(ValueError, match="unknown lexicon categories"):
        CompiledLexicon({"gore": ["blood"]}, exclude={"death": ["dead tired"]})


def test_evidence_marks_skip_an_excluded_phrase() -> None:
    from classifier.modeling.evidence import evidence_spans

    low = "the blood test was fine. then blood sprayed across the wall."
    spans = evidence_spans(low, "violence")
    assert [low[a:b] for a, b in spans] == ["blood"]
    assert spans[0][0] == low.index("blood sprayed")


def test_exclusions_take_a_word_back_once_and_only_for_their_category() -> None:
    from classifier.features import CompiledLexicon
    from classifier.modeling.evidence import evidence_spans

    lex = CompiledLexicon(
        {"gore": ["blood", "blood bath"], "death": ["blood", "dead"]},
        exclude={"gore": ["blood test", "a blood test", "Blood  Test", "blood bath"]},
    )

    def count(text: str) -> dict[str, float]:
        return dict(zip(lex.names, lex.count(text)[0], strict=True))

    # Overlapping and repeated exclusions take the one "blood" back once, not three times.
    assert count("blood everywhere. a blood test.") == {"gore": 1, "death": 2}
    # The death hit of the same word stays, and so does the lexicon's own phrase "blood bath".
    assert count("a blood bath") == {"gore": 1, "death": 1}
    with pytest.raises(ValueError, match="plain words"):
        CompiledLexicon({"gore": ["blood"]}, exclude={"gore": ["blood* test"]})

    def marks(low: str, label: str) -> list[str]:
        return [low[a:b] for a, b in evidence_spans(low, label, lexicon=lex)]

    low = "blood everywhere. a blood test. a blood bath."
    # "rating" covers gore and death: the test's blood still counts for death, so it stays marked.
    assert marks(low, "rating") == ["blood", "blood", "blood bath"]


def test_evidence_marks_follow_the_models_own_lexicon() -> None:
    # A model trained before an exclusion counts "blood" in "blood test": its evidence marks it.
    import classifier

    model = classifier.load_model()
    old = dict(model.scorer.spec, lexicon={k: v for k, v in model.scorer.spec["lexicon"].items() if k != "exclude"})
    from classifier.modeling.scorer import StoryScorer

    text = "The nurse took a blood test. Then the blood test again, and she sat in the waiting room."
    new_pred = model.scorer.predict([text], explain=1)[0]
    old_pred = StoryScorer(old, model.scorer.arrays).predict([text], explain=1)[0]
    marked = [text[a:b] for ev in old_pred.evidence["rating"] for a, b in ev.marks]
    assert marked == ["blood", "blood"]
    assert all(not ev.marks for ev in new_pred.evidence["rating"])
