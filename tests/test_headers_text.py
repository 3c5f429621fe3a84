"""Plain-text and markdown headers written by authors, in many layouts."""

import pytest

from classifier.readers import ReadOptions, read_bytes
from tests.conftest import read_one

STORY = (
    "The kettle clicked off and Ana poured the water over the leaves, watching the colour bloom.\n\n"
    "Outside, the first snow of the year was falling on the allotments, and the robin was back on the fence.\n"
)


def test_basic_header_block():
    s = read_one("Rating: M\nWarnings: Violence, Character Death\nPairing: A/B\n\n" + STORY)
    assert s.declared.rating.canonical == "mature"
    assert s.declared.rating.scale == "ffn"
    assert s.declared.warnings.canonical == ["violence", "major_character_death"]
    assert s.declared.tags["relationships"] == ["A/B"]
    assert s.body.startswith("The kettle")
    assert "Rating" not in s.body


@pytest.mark.parametrize(
    "header",
    [
        "Rating: T\nWarnings: swearing\n",
        "RATING: T\nWARNINGS: swearing\n",
        "rating:T\nwarning:swearing\n",
        "Rating :  T  \nWarnings  :   swearing\n",
        "Warnings: swearing\nRating: T\n",
        "Rated T for swearing\n",
        "Rated: T\nTW: swearing\n",
        "Rating - T\nCW - swearing\n",
        "**Rating:** T\n**Warnings:** swearing\n",
        "- Rating: T\n- Content warning: swearing\n",
        "Ratings: T\nTrigger Warnings: swearing\n",
        "Rating: T\n\nWarnings: swearing\n",
        "Sum: Tea.\nRating: T\nWarnings/Triggers: swearing\n",
        "\U0001f51e Rating: T\n\u26a0\ufe0f Warnings: swearing\n",
    ],
)
def test_layout_variations(header):
    s = read_one(header + "\n" + STORY)
    assert s.declared.rating.canonical == "teen", header
    assert s.declared.warnings.canonical == ["strong_language"], header
    assert s.body.startswith("The kettle"), header


def test_explicit_uppercase_and_pairings_plural():
    s = read_one("RATING: Explicit\nPairing(s): Cloud/Tifa, Zack/Aerith\n\n" + STORY)
    assert s.declared.rating.canonical == "explicit"
    assert s.declared.tags["relationships"] == ["Cloud/Tifa", "Zack/Aerith"]


def test_title_line_then_header():
    s = read_one("The Long Winter\n\nRating: K+\nWarnings: none\nSummary: Snow.\n\n" + STORY)
    assert s.title == "The Long Winter"
    assert s.declared.rating.canonical == "general"
    assert s.declared.warnings.status == "none"
    assert s.declared.summary == "Snow."


def test_title_and_byline():
    s = read_one("The Long Winter\nby Someone\n\nRating: T\n\n" + STORY)
    assert s.title == "The Long Winter"
    assert s.body.startswith("The kettle")


def test_author_note_block_with_declarations():
    s = read_one("A/N: My first fic! Rated T. Warnings: language, blood.\nEnjoy!~\n\n" + STORY)
    assert s.declared.rating.canonical == "teen"
    assert s.declared.warnings.canonical == ["violence", "strong_language"]
    assert s.body.startswith("The kettle")


@pytest.mark.parametrize("label", ["A/N", "a/n", "A.N."])
def test_author_note_without_a_colon_is_not_story(label):
    s = read_one(f"Title: Kettle\nRating: T\n{label} thanks to my beta, rated T for one word.\n\n" + STORY)
    assert s.declared.rating.canonical == "teen"
    assert s.body.startswith("The kettle") and "beta" not in s.body


@pytest.mark.parametrize(
    "text",
    [
        "An old kettle sang on the stove.\nNobody came to lift it.\n",
        # Initials of a name, not a note: with and without a blank line below the first paragraph.
        "A.N. Other came home late.\nShe said the film was rated M, and laughed.\nHe made tea.\n",
        "A.N. Other came home late.\nShe said the film was rated M.\n\nHe made tea and sat down.\n",
    ],
)
def test_a_story_opening_like_a_note_is_story(text):
    s = read_one(text)
    assert s.body.startswith(text.split()[0]) and s.declared.rating is None


def test_a_note_with_no_colon_never_takes_the_whole_text():
    text = "A/N thanks for reading\n" + "".join(f"Line {k} of the story went on.\n" for k in range(12))
    s = read_one(text)
    assert "Line 11 of the story" in s.body


def test_a_title_above_initials_is_not_a_title():
    s = read_one("Kettle\n\nA.N. Other walked home in the rain, humming.\n")
    assert s.title is None and s.body.startswith("Kettle")


def test_parenthesised_note_at_top():
    note = "(This is a one-shot I wrote on a whim. Warning: language and stuff. Disclaimer: I own nothing!)"
    s = read_one(note + "\n\n" + STORY)
    assert s.declared.warnings.canonical == ["strong_language"]
    assert s.declared.rating is None
    assert s.body.startswith("The kettle")


def test_disclaimer_is_header_not_body():
    s = read_one("Disclaimer: See first part.\n\nRating: M\n\n&%$ POW $%&\n\n" + STORY)
    assert s.declared.rating.canonical == "mature"
    assert "Disclaimer" not in s.body
    assert s.body.startswith("The kettle")


def test_dialogue_is_not_a_declaration():
    text = '"Rating: ten out of ten," he said, grinning at the cake.\n\nShe laughed.\n\n' + STORY
    s = read_one(text)
    assert s.declared.rating is None
    assert s.declared.warnings.status == "absent"
    assert s.body.startswith('"Rating: ten')


def test_mid_story_warning_shout_is_not_a_declaration():
    text = (
        "Rating: K\n\n"
        + STORY
        + '\n"Warning!" shouted the captain. "Warning: rocks ahead!"\n\nRated R for Revenge, he thought.\n'
    )
    s = read_one(text)
    assert s.declared.rating.canonical == "general"
    assert s.declared.warnings.status == "absent"
    assert "Warning!" in s.body


def test_header_in_end_notes():
    s = read_one(STORY + "\nA/N: Rated T for swearing. Thanks for reading!\n")
    assert s.declared.rating.canonical == "teen"
    assert s.declared.warnings.canonical == ["strong_language"]
    assert "Thanks for reading" not in s.body


def test_no_header_keeps_whole_text():
    s = read_one(STORY)
    assert s.declared.rating is None
    assert s.declared.warnings.status == "absent"
    assert s.body == STORY.strip()
    assert "no header found" in s.diagnostics


def test_markdown_front_matter_and_headings():
    md = (
        "---\ntitle: Snowfall\nrating: Mature\nwarnings: [violence]\n---\n\n## Chapter 1\n\n"
        + STORY
        + "\n## Chapter 2\n\nMore snow.\n"
    )
    s = read_one(md, "snow.md")
    assert s.format == "markdown"
    assert s.title == "Snowfall"
    assert s.declared.rating.canonical == "mature"
    assert s.declared.warnings.canonical == ["violence"]
    assert [c.title for c in s.chapters] == ["Chapter 1", "Chapter 2"]
    assert s.body[s.chapters[1].start : s.chapters[1].end].strip() == "More snow."


def test_chapters_kept_with_titles():
    s = read_one("Rating: T\n\nChapter 1: Snow\n\n" + STORY + "\nChapter 2: Thaw\n\nThe snow melted.\n")
    assert [c.title for c in s.chapters] == ["Chapter 1: Snow", "Chapter 2: Thaw"]
    first = s.body[s.chapters[0].start : s.chapters[0].end]
    assert first.strip().startswith("The kettle") and "Chapter" not in first


def test_unmapped_terms_kept_verbatim():
    s = read_one("Warnings: Adult themes, Violence\n\n" + STORY)
    assert s.declared.warnings.unmapped == ["Adult themes"]
    assert s.declared.warnings.canonical == ["violence"]


def test_withheld_is_not_none():
    s = read_one("Warnings: Creator Chose Not To Use Archive Warnings\n\n" + STORY)
    assert s.declared.warnings.status == "withheld"


def test_unknown_field_inside_header_is_reported():
    s = read_one("Rating: T\nMood: cosy\nWarnings: none\n\n" + STORY)
    assert s.declared.warnings.status == "none"
    assert any("Mood" in d for d in s.diagnostics)
    assert "Mood" not in s.body


def test_ffn_rated_line():
    text = (
        "Snow Day by someone\n"
        "Rated: Fiction T - English - Hurt/Comfort/Drama - [Harry P., Ginny W.] Ron W. - Chapters: 3 - Words: 12,345 - "
        "Reviews: 4 - Updated: Jan 2 - Published: Jan 1, 2020 - Status: Complete - id: 1234567\n\n" + STORY
    )
    s = read_one(text)
    assert s.format == "ffn-txt"
    assert s.title == "Snow Day"
    assert s.declared.rating.to_dict() == {"raw": "T", "scale": "ffn", "canonical": "teen"}
    assert s.declared.words == 12345
    assert s.declared.tags["genres"] == ["Hurt/Comfort", "Drama"]
    assert "Ron W." in s.declared.tags["characters"]
    assert s.declared.tags["relationships"] == ["Harry P./Ginny W."]


def _fff(publisher: str, url: str) -> str:
    return (
        "Snow Day\n\nby someone\n\n"
        f"Story URL: {url}\nCategory: Harry Potter\nGenre: Fluff, Hurt/Comfort\nLanguage: English\n"
        "Characters: Harry Potter, Ginny Weasley\nRelationships: Harry Potter/Ginny Weasley\nStatus: Completed\n"
        "Published: 2020-01-01\nUpdated: 2020-01-02\nPackaged: 2020-01-03 10:00:00\nRating: Mature\n"
        f"Warnings: Graphic Depictions Of Violence\nChapters: 1\nWords: 1,234\nPublisher: {publisher}\n"
        "Summary: A snowy day.\nIt continues here.\n\n\nChapter 1\n\n" + STORY
    )


def test_fanficfare_txt_from_ao3_maps_category_and_genre():
    s = read_one(_fff("archiveofourown.org", "https://archiveofourown.org/works/1"))
    assert s.format == "fanficfare-txt"
    assert s.title == "Snow Day"
    assert s.declared.tags["fandoms"] == ["Harry Potter"]
    assert s.declared.tags["freeform"] == ["Fluff", "Hurt/Comfort"]
    assert s.declared.rating.canonical == "mature"
    assert s.declared.warnings.canonical == ["violence"]
    assert s.declared.words == 1234
    assert s.declared.summary == "A snowy day.\nIt continues here."
    assert s.body.startswith("The kettle")


def test_fanficfare_txt_from_ffn_keeps_genres():
    s = read_one(_fff("www.fanfiction.net", "https://www.fanfiction.net/s/1/1/"))
    assert s.declared.tags["fandoms"] == ["Harry Potter"]
    assert s.declared.tags["genres"] == ["Fluff", "Hurt/Comfort"]


ENCODED = "Rating: T\nWarnings: swearing\n\nCafé au lait – “quoted” naïve façade.\nSecond line here.\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
        lambda t: t.encode("utf-16"),
        lambda t: t.encode("utf-16-le"),
        lambda t: t.encode("utf-16-be"),
        lambda t: t.encode("cp1252"),
        lambda t: t.replace("\n", "\r\n").encode("utf-8"),
        lambda t: t.replace("\n", "\r\n").encode("cp1252"),
        lambda t: t.replace("\n", "\r").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "cp1252", "crlf", "crlf-cp1252", "cr"],
)
def test_encodings_and_newlines_without_mojibake(encode):
    (s,) = list(read_bytes(encode(ENCODED), "enc.txt", ReadOptions()))
    assert s.declared.rating.canonical == "teen"
    assert s.declared.warnings.canonical == ["strong_language"]
    assert s.body.startswith("Café au lait – “quoted” naïve façade.")
    assert "\r" not in s.body


def test_latin1_text():
    data = "Rating: T\n\nGarçon, où est le café? Señor Muñoz était très ému.\n".encode("latin-1")
    (s,) = list(read_bytes(data, "l1.txt", ReadOptions()))
    assert "Garçon, où est le café" in s.body


@pytest.mark.parametrize(
    "header",
    [
        "Rating: T | Warnings: swearing | Pairing: none\n",
        "[Rating: T] [Warnings: swearing]\n".replace("] [", "] | ["),
        "[Rating: T]\n[Warnings: swearing]\n",
        "Rating = T\nWarnings = swearing\n",
        "Rated: PG-13\nWarnings:\n- swearing\n- more swearing\n",
        "Title: Tea\nAuthor: me\nRating: Teen\nContent Warnings: swearing\nWord count: 1,234\n",
    ],
)
def test_more_layouts(header):
    s = read_one(header + "\n" + STORY)
    assert s.declared.rating.canonical == "teen", header
    assert s.declared.warnings.canonical == ["strong_language"], header
    assert s.body.startswith("The kettle"), header


FFN_LINE = (
    "Rated: Fiction M - English - Romance/Drama - Chapters: 3 - Words: 5,210 - Reviews: 12 - Favs: 30 - "
    "Follows: 41 - Updated: 3/4/2015 - Published: 1/2/2015 - Status: Complete - id: 11223344"
)


@pytest.mark.parametrize(
    "top",
    [
        "Snow Day\nBy: someone\nAna and a kettle, on the first snowy day of the year.\n",
        "Snow Day\n\nBy: someone\n\nAna and a kettle, on the first snowy day of the year.\n\n",
        "Snow Day\nby someone\n\nAna and a kettle, on the first snowy day of the year.\nA oneshot.\n\n",
        "Snow Day\nAuthor: someone\nAna and a kettle, on the first snowy day of the year.\n",
        "Snow Day by someone\n\nAna and a kettle, on the first snowy day of the year.\n\n",
    ],
    ids=["ffn-page", "blank-lines", "lower-by-two-line-summary", "author-label", "title-by-on-one-line"],
)
def test_ffn_rated_line_after_title_byline_and_summary(top):
    s = read_one(top + FFN_LINE + "\n\n" + STORY)
    assert s.format == "ffn-txt"
    assert s.title == "Snow Day"
    assert s.declared.rating.to_dict() == {"raw": "M", "scale": "ffn", "canonical": "mature"}
    assert s.declared.summary.startswith("Ana and a kettle")
    assert s.declared.words == 5210
    assert s.body.startswith("The kettle") and "Rated" not in s.body


def test_ffn_summary_alone_above_the_rated_line_and_page_boilerplate():
    s = read_one("Ana and a kettle, on the first snowy day.\n" + FFN_LINE + "\n\n" + STORY)
    assert s.declared.rating.canonical == "mature" and s.declared.summary == "Ana and a kettle, on the first snowy day."
    assert s.body.startswith("The kettle")
    s = read_one("Snow Day\nBy: someone\nFollow/Fav\nAna and a kettle.\n" + FFN_LINE + "\n\n" + STORY)
    assert (s.title, s.declared.summary, s.declared.rating.canonical) == ("Snow Day", "Ana and a kettle.", "mature")


def test_ffn_line_fields_are_fields_not_characters():
    s = read_one(FFN_LINE.replace("Status: Complete", "[Ana K., Bo L.] Cy D.") + " - Complete\n\n" + STORY)
    d = s.declared
    assert d.language == "English"
    assert d.tags["genres"] == ["Romance", "Drama"]
    assert d.tags["characters"] == ["Ana K.", "Bo L.", "Cy D."]
    assert d.tags["relationships"] == ["Ana K./Bo L."]
    assert (d.chapters, d.words) == ("3", 5210)
    assert d.raw["ffn status"] == "Complete"
    assert (d.raw["ffn published"], d.raw["ffn updated"], d.raw["ffn id"]) == ("1/2/2015", "3/4/2015", "11223344")
    assert d.raw["ffn reviews"] == "12" and d.raw["ffn favs"] == "30" and d.raw["ffn follows"] == "41"
    assert d.warnings.status == "absent"


def test_ffn_story_list_line_without_fiction_and_characters_after_the_dates():
    line = (
        "Rated: K+ - English - Friendship - Chapters: 1 - Words: 900 - Published: 5/1/2010 - Ana K., Bo L. - Complete"
    )
    s = read_one(line + "\n\n" + STORY)
    d = s.declared
    assert d.rating.to_dict() == {"raw": "K+", "scale": "ffn", "canonical": "general"}
    assert d.rating.reason is None and d.warnings.status == "absent"
    assert d.tags["characters"] == ["Ana K.", "Bo L."]
    assert d.raw["ffn status"] == "Complete" and d.words == 900


@pytest.mark.parametrize("line", ["Rating: M - violence, language", "Rated: M - violence - language"])
def test_a_rating_with_a_dash_and_reasons_is_not_an_ffn_line(line):
    s = read_one(line + "\n\n" + STORY)
    assert s.format == "txt" and s.declared.language is None
    assert s.declared.rating.canonical == "mature"
    assert s.declared.warnings.canonical == ["violence", "strong_language"]


def test_status_in_progress_is_not_a_character():
    s = read_one("Rated: Fiction T - English - Humor - Words: 100 - Status: In-Progress - id: 5\n\n" + STORY)
    assert s.declared.tags["characters"] == [] and s.declared.raw["ffn status"] == "In-Progress"


@pytest.mark.parametrize(
    "top, rating, warnings",
    [
        ("A/N: This took forever, thanks to everyone who cheered me on.\nRated E for reasons.\n", "explicit", []),
        ("A/N: Thanks to my beta!\n\nRated E for reasons.\n", "explicit", []),
        ("A/N: First dark one, be gentle.\nRated M for violence\n", "mature", ["violence"]),
        ("AN: Sorry for the wait.\nRating: T\n", "teen", []),
        ("Author's Note: Written for the exchange.\nRated T for language.\n", "teen", ["strong_language"]),
    ],
)
def test_prose_rating_line_after_an_authors_note(top, rating, warnings):
    s = read_one(top + "\n" + STORY)
    assert s.declared.rating.canonical == rating
    assert s.declared.warnings.canonical == warnings
    assert s.declared.warnings.status == ("declared" if warnings else "absent")
    assert s.body.startswith("The kettle")


def test_a_rating_reason_that_names_no_warning_is_kept_raw():
    s = read_one("Rated E for reasons.\n\n" + STORY)
    assert s.declared.rating.to_dict() == {"raw": "E", "scale": "ao3", "canonical": "explicit"}
    assert s.declared.warnings.status == "absent"
    assert s.declared.raw["rating reason"] == "reasons"


def test_prose_that_reaches_a_warning_sign_is_not_a_header():
    text = "Run.\n\nShe ran.\n\nWarning: the sign said. Bridge out.\n\n" + STORY
    s = read_one(text)
    assert s.declared.warnings.status == "absent" and s.declared.summary is None
    assert s.body.startswith("Run.")


def test_ao3_page_text_with_values_under_their_labels():
    text = (
        "Rating:\n    Mature\nArchive Warning:\n    Graphic Depictions Of Violence, Major Character Death\n"
        "Fandom:\n    Original Work\nAdditional Tags:\n    Snow, Tea\nStats:\n\n    Published: 2020-01-01 Words: 60\n\n"
        "Snow Day\n\nby someone\n\nSummary:\n\n    Ana and a kettle.\n\nNotes:\n\n    Rated M for violence later on.\n\n"
        "Work Text:\n\n" + STORY
    )
    s = read_one(text)
    d = s.declared
    assert d.rating.canonical == "mature"
    assert d.warnings.canonical == ["violence", "major_character_death"]
    assert d.tags["fandoms"] == ["Original Work"] and d.tags["freeform"] == ["Snow", "Tea"]
    assert d.summary == "Ana and a kettle."
    assert s.body.startswith("The kettle")


def test_ao3_download_text_with_bare_section_labels():
    text = (
        "Rating: Teen And Up Audiences\nArchive Warning: No Archive Warnings Apply\n\n"
        "Snow Day\n\nby someone\n\nSummary\n\nAna and a kettle.\n\nNotes\n\nFor my sister.\n\n" + STORY
    )
    s = read_one(text)
    assert s.declared.rating.canonical == "teen" and s.declared.warnings.status == "none"
    assert s.title == "Snow Day" and s.declared.summary == "Ana and a kettle."
    assert s.body.startswith("The kettle")


def test_tumblr_title_then_inline_fields():
    s = read_one("Snow Day | Pairing: Ana x Bo | Rating: E | Warnings: none\n\n" + STORY)
    assert s.title == "Snow Day"
    assert s.declared.rating.canonical == "explicit" and s.declared.warnings.status == "none"
    assert s.declared.tags["relationships"] == ["Ana x Bo"]


def _md(front: str) -> str:
    return "---\n" + front + "---\n\n" + STORY


def test_front_matter_block_and_flow_lists_are_lists():
    s = read_one(
        _md(
            "title: Snowfall\nrating: Mature\nwarnings:\n  - Graphic Depictions Of Violence\n  - Major Character Death\n"
            "tags: [hurt/comfort, angst]\nfandoms:\n- Original Work\n"
        ),
        "snow.md",
    )
    d = s.declared
    assert s.title == "Snowfall"
    assert d.rating.canonical == "mature"
    assert d.warnings.raw == ["Graphic Depictions Of Violence", "Major Character Death"]
    assert d.warnings.canonical == ["violence", "major_character_death"]
    assert d.tags["freeform"] == ["hurt/comfort", "angst"]
    assert d.tags["fandoms"] == ["Original Work"]
    assert s.body == STORY.strip()


def test_front_matter_comma_inside_a_flow_item_and_quoted_values():
    s = read_one(_md("title: 'It''s Snowing'\nrating: \"Teen And Up Audiences\"\ntags: [\"snow, lots of it\", tea]\n"))
    assert s.title == "It's Snowing"
    assert s.declared.rating.canonical == "teen"
    assert s.declared.tags["freeform"] == ["snow, lots of it", "tea"]


def test_front_matter_yes_and_no_stay_words():
    s = read_one(_md("rating: T\nwarnings: none\ncomplete: yes\n"))
    assert s.declared.warnings.status == "none"
    assert s.declared.rating.canonical == "teen"


def test_front_matter_nested_mapping_is_read():
    s = read_one(_md("meta:\n  rating: Explicit\n  warnings: [Underage]\n"))
    assert s.declared.rating.canonical == "explicit" and s.declared.warnings.canonical == ["underage"]


@pytest.mark.parametrize(
    "front, reason",
    [
        ("rating: Mature\nwarnings: [Graphic Depictions Of Violence\n", "not valid YAML"),
        ("rating: Mature\n\tbad: tab\n", "not valid YAML"),
        ("base: &b [violence]\nrating: Mature\nwarnings: *b\n", "aliases are not allowed"),
        ("- rating: Mature\n", "not a YAML mapping"),
    ],
    ids=["unclosed-flow", "tab", "alias", "list"],
)
def test_front_matter_that_yaml_refuses_is_read_line_by_line(front, reason):
    s = read_one(_md(front))
    assert s.declared.rating.canonical == "mature"
    (diag,) = [d for d in s.diagnostics if d.startswith("front matter read line by line")]
    assert reason in diag and "\n" not in diag
    assert s.body == STORY.strip()


def test_front_matter_over_the_cap_is_not_given_to_yaml():
    filler = "".join(f"note{k}: {'x' * 200}\n" for k in range(350))  # 70 KB in 350 lines
    s = read_one(_md("rating: Mature\n" + filler))
    assert s.declared.rating.canonical == "mature"
    assert "front matter read line by line: over 64 KB" in s.diagnostics
    assert s.body == STORY.strip()


def test_load_front_matter_caps_size_and_refuses_alias_bombs():
    from classifier.readers.text import FRONT_MATTER_MAX_BYTES, load_front_matter

    assert load_front_matter("rating: T\nwarnings: [a, b]\n") == ({"rating": "T", "warnings": ["a", "b"]}, "")
    data, why = load_front_matter("x: " + "y" * FRONT_MATTER_MAX_BYTES)
    assert data is None and why == "over 64 KB"
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 9)}]\n" for k in range(8)
    )
    data, why = load_front_matter(laughs)
    assert data is None and "aliases are not allowed" in why
    data, why = load_front_matter("tags: " + "[" * 5000 + "]" * 5000)
    assert data is None and why == "nested over 32 brackets deep"
    assert load_front_matter("tags: [[a], {b: [c]}]")[0] == {"tags": [["a"], {"b": ["c"]}]}


def test_ao3_afterword_end_notes_are_not_body():
    s = read_one(
        "Rating: General Audiences\n\n" + STORY + "\nAfterword\n\nEnd Notes\n\nRated T for language, oops. Thanks!\n"
    )
    assert s.body == STORY.strip()
    assert s.declared.warnings.canonical == ["strong_language"]
    assert "author's note at end" in s.diagnostics


def test_fanficfare_end_file_line_and_ao3_chapter_text_landmarks_are_not_body():
    s = read_one(
        "Rating: T\n\nChapter 1\n\nChapter Text\n\n"
        + STORY
        + "\nChapter 2\n\nChapter Text\n\nThe snow melted.\n\nEnd file.\n"
    )
    assert [c.title for c in s.chapters] == ["Chapter 1", "Chapter 2"]
    assert "Chapter Text" not in s.body and "End file" not in s.body
    assert s.body.endswith("The snow melted.")
    assert s.body[s.chapters[1].start : s.chapters[1].end].strip() == "The snow melted."


def test_a_story_that_mentions_notes_keeps_its_ending():
    text = "Rating: T\n\n" + STORY + "\nShe read the notes twice.\n\nThen she slept.\n"
    assert read_one(text).body.endswith("Then she slept.")


def test_ffn_line_wrapped_onto_the_next_line():
    text = (
        "Snow Day\nBy: someone\nAna and a kettle.\nRated: Fiction M - English - Romance - Ana K.,\n"
        "Bo L. - Chapters: 3 - Words: 5,210 - Published: 1/2/2015 - Complete\n\n" + STORY
    )
    s = read_one(text)
    assert s.format == "ffn-txt"
    assert s.declared.tags["characters"] == ["Ana K.", "Bo L."]
    assert (s.declared.words, s.declared.raw["ffn status"]) == (5210, "Complete")
    assert s.body == STORY.strip()


def test_a_first_line_notes_does_not_take_the_story_paragraph_after_it():
    s = read_one("Notes\n\n" + STORY)
    assert s.body == STORY.strip() and s.declared.summary is None
