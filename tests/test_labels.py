import json

import pytest

from classifier.labels import TaxonomyError, load_taxonomy, split_terms


@pytest.mark.parametrize(
    ("raw", "scale", "canonical"),
    [
        ("General Audiences", "ao3", "general"),
        ("Teen And Up Audiences", "ao3", "teen"),
        ("teen and up", "ao3", "teen"),
        ("Mature", "ao3", "mature"),
        ("EXPLICIT", "ao3", "explicit"),
        ("K", "ffn", "general"),
        ("K+", "ffn", "general"),
        ("T", "ffn", "teen"),
        ("M", "ffn", "mature"),
        ("MA", "ffn", "explicit"),
        ("Fiction T", "ffn", "teen"),
        ("G", "mpaa", "general"),
        ("PG", "mpaa", "general"),
        ("PG-13", "mpaa", "teen"),
        ("PG-15", "mpaa", "teen"),
        ("R", "mpaa", "mature"),
        ("NC-17", "mpaa", "explicit"),
        ("X", "mpaa", "explicit"),
    ],
)
def test_rating_mapping_follows_ao3_importer(taxonomy, raw, scale, canonical):
    r = taxonomy.parse_rating(raw)
    assert r is not None
    assert (r.scale, r.canonical) == (scale, canonical)


def test_rating_keeps_raw_scale_and_reason(taxonomy):
    r = taxonomy.parse_rating("Rated M for violence and language")
    assert (r.raw, r.scale, r.canonical, r.reason) == ("M", "ffn", "mature", "violence and language")
    assert r.display == "M (ffn)"


@pytest.mark.parametrize("raw", ["Not Rated", "not rated", "Unrated", "None", "N/A"])
def test_not_rated_is_unknown_not_a_level(taxonomy, raw):
    r = taxonomy.parse_rating(raw)
    assert r is not None and r.canonical is None


@pytest.mark.parametrize("raw", ["ten out of ten", "", "   ", "Tuesday", "Mild"])
def test_non_ratings_are_not_parsed(taxonomy, raw):
    assert taxonomy.parse_rating(raw) is None


@pytest.mark.parametrize(
    ("term", "ids"),
    [
        ("Graphic Depictions Of Violence", ["violence"]),
        ("Major Character Death", ["major_character_death"]),
        ("Character Death", ["major_character_death"]),
        ("Rape/Non-Con", ["rape_noncon"]),
        ("Underage", ["underage"]),
        ("Underage Sex", ["underage"]),
        ("Mild Language", ["strong_language"]),
        ("language and stuff", ["strong_language"]),
        ("swearing", ["strong_language"]),
        ("Erotica", ["sexual_content"]),
        ("smut", ["sexual_content"]),
        ("Lemon", ["sexual_content"]),
        ("Self-Harm", ["self_harm"]),
        ("Suicidal Thoughts", ["self_harm"]),
        ("Child Abuse", ["abuse"]),
        ("Drug Use", ["substance_use"]),
        ("Alcohol", ["substance_use"]),
        ("Adult themes", []),
        ("Body Language", []),
        ("Minor Character Death", []),
    ],
)
def test_warning_terms_map(taxonomy, term, ids):
    assert taxonomy.map_term(term) == ids


@pytest.mark.parametrize(
    ("terms", "status", "canonical", "unmapped"),
    [
        (["No Archive Warnings Apply"], "none", [], []),
        (["none"], "none", [], []),
        (["Creator Chose Not To Use Archive Warnings"], "withheld", [], []),
        ([], "absent", [], []),
        (["Adult themes"], "declared", [], ["Adult themes"]),
        (["Violence", "Adult themes"], "declared", ["violence"], ["Adult themes"]),
        (["Creator Chose Not To Use Archive Warnings", "No Archive Warnings Apply"], "withheld", [], []),
        (["No Archive Warnings Apply", "Major Character Death"], "declared", ["major_character_death"], []),
    ],
)
def test_warning_status(taxonomy, terms, status, canonical, unmapped):
    w = taxonomy.parse_warnings(terms)
    assert (w.status, w.canonical, w.unmapped) == (status, canonical, unmapped)


def test_canonical_warnings_follow_taxonomy_order(taxonomy):
    w = taxonomy.parse_warnings(["Character Death", "swearing", "Violence"])
    assert w.canonical == ["violence", "major_character_death", "strong_language"]


def test_split_terms_keeps_slashes():
    assert split_terms("Rape/Non-Con, Violence; swearing") == ["Rape/Non-Con", "Violence", "swearing"]


def test_default_taxonomy_has_required_ids(taxonomy):
    assert set(taxonomy.warning_ids) >= {
        "violence",
        "major_character_death",
        "rape_noncon",
        "underage",
        "sexual_content",
        "strong_language",
        "self_harm",
        "abuse",
        "substance_use",
    }
    for w in taxonomy.warnings:
        assert w.name and w.definition


def test_custom_taxonomy_file(tmp_path):
    data = {
        "ratings": {"levels": ["general", "teen", "mature", "explicit"], "scales": {"ao3": {"mild": "general"}}},
        "warnings": [{"id": "spiders", "name": "Spiders", "definition": "Arachnids.", "patterns": ["spider"]}],
    }
    p = tmp_path / "tax.json"
    p.write_text(json.dumps(data))
    tax = load_taxonomy(p)
    assert tax.warning_ids == ("spiders",)
    assert tax.parse_warnings(["Giant Spiders"]).canonical == ["spiders"]
    assert tax.parse_rating("Mild").canonical == "general"


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"ratings": {}}', '{"ratings": {"levels": ["a"], "scales": {}}, "warnings": []}'],
)
def test_bad_taxonomy_is_refused_with_file_name(tmp_path, content):
    p = tmp_path / "bad.json"
    p.write_text(content)
    with pytest.raises(TaxonomyError, match=r"bad\.json"):
        load_taxonomy(p)
