//! A self-contained HTML page that shows every card through the note type's own templates,
//! so an author can check the design and the content of a deck without importing it.
//!
//! Anki's template language is rendered here for the subset deckforge's templates (and most
//! hand-written ones) use: `{{Field}}`, `{{#Field}}…{{/Field}}`, `{{^Field}}…{{/Field}}`,
//! `{{FrontSide}}`, the special fields `{{Tags}}`, `{{Deck}}`, `{{Subdeck}}`, `{{Card}}`
//! and `{{Type}}`, and the `text:` and `cloze:` filters (one preview card per cloze number,
//! as Anki makes them). Other filters (`hint:`, `type:`, …) show the field unchanged. Field values are inserted as they are: they are already
//! sanitised HTML, exactly what Anki would insert.
//!
//! The page needs no network: its CSS, script and card data are inline, and a
//! Content-Security-Policy forbids fetching anything but local images.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::build::{BuildOptions, plan};
use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::html::escape;
use crate::model::{CardRule, Package, field};
use crate::source;
use crate::templates::CARD_TEMPLATE_NAME;
use crate::write::anki_text::strip_html_preserving_media_filenames;
use crate::write::atomic::write_file;

/// What a card template may look up: field values by name and Anki's special fields.
#[derive(Debug, Clone, Default)]
pub struct TemplateContext {
    /// Field names and HTML values, in note type order.
    pub fields: Vec<(String, String)>,
    /// Space-separated tags, for `{{Tags}}`.
    pub tags: String,
    /// The full deck name (`Deck::Subdeck`), for `{{Deck}}`; `{{Subdeck}}` is its last part.
    pub deck: String,
    /// The card template's name, for `{{Card}}`.
    pub card: String,
    /// The note type's name, for `{{Type}}`.
    pub note_type: String,
    /// The rendered front, for `{{FrontSide}}` on the back; `None` while rendering the front.
    pub front_side: Option<String>,
    /// The card's cloze number, for `{{cloze:Field}}` (0 on a card of a standard note type).
    pub cloze: u16,
}

impl TemplateContext {
    fn lookup(&self, name: &str) -> Option<String> {
        if let Some((_, value)) = self.fields.iter().find(|(n, _)| n == name) {
            return Some(value.clone());
        }
        let special = match name {
            "FrontSide" => self.front_side.clone().unwrap_or_default(),
            "Tags" => escape(&self.tags),
            "Deck" => escape(&self.deck),
            "Subdeck" => escape(self.deck.rsplit("::").next().unwrap_or_default()),
            "Card" => escape(&self.card),
            "Type" => escape(&self.note_type),
            _ => return None,
        };
        Some(special)
    }
}

/// Why a template could not be rendered; Anki shows the same kinds of problem on the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// What is wrong, naming the replacement at fault.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// A parsed template: text, replacements and conditional sections.
#[derive(Debug)]
enum Node<'a> {
    Text(&'a str),
    /// `{{filter:Field}}`: the filters (outermost first) and the field name.
    Replace {
        filters: Vec<&'a str>,
        name: &'a str,
    },
    /// `{{#Field}}` (shown when the field is non-empty) or `{{^Field}}` (when it is empty).
    Section {
        name: &'a str,
        inverted: bool,
        children: Vec<Node<'a>>,
    },
}

fn parse(template: &str) -> Result<Vec<Node<'_>>, TemplateError> {
    // Each open section: its name, whether inverted, and the nodes collected so far.
    let mut stack: Vec<(&str, bool, Vec<Node>)> = vec![("", false, Vec::new())];
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            stack
                .last_mut()
                .expect("root")
                .2
                .push(Node::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(TemplateError {
                message: format!(
                    "a `{{{{` is never closed: `{{{{{}`",
                    after.chars().take(30).collect::<String>()
                ),
            });
        };
        let tag = after[..close].trim();
        rest = &after[close + 2..];
        if let Some(name) = tag.strip_prefix('#').or_else(|| tag.strip_prefix('^')) {
            stack.push((name.trim(), tag.starts_with('^'), Vec::new()));
        } else if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            if stack.len() == 1 {
                return Err(TemplateError {
                    message: format!("found `{{{{/{name}}}}}` with no section to close"),
                });
            }
            let (open_name, inverted, children) = stack.pop().expect("checked above");
            if open_name != name {
                return Err(TemplateError {
                    message: format!(
                        "found `{{{{/{name}}}}}` where `{{{{/{open_name}}}}}` was expected"
                    ),
                });
            }
            stack.last_mut().expect("root").2.push(Node::Section {
                name: open_name,
                inverted,
                children,
            });
        } else {
            let mut parts: Vec<&str> = tag.split(':').map(str::trim).collect();
            let name = parts.pop().unwrap_or_default();
            stack.last_mut().expect("root").2.push(Node::Replace {
                filters: parts,
                name,
            });
        }
    }
    if !rest.is_empty() {
        stack.last_mut().expect("root").2.push(Node::Text(rest));
    }
    if stack.len() > 1 {
        let (name, inverted, _) = stack.pop().expect("checked");
        let sigil = if inverted { '^' } else { '#' };
        return Err(TemplateError {
            message: format!("`{{{{{sigil}{name}}}}}` is never closed with `{{{{/{name}}}}}`"),
        });
    }
    Ok(stack.pop().expect("root").2)
}

/// Anki's notion of an empty field: nothing but whitespace and bare `<br>`/`<div>` tags
/// (a `<div>` with attributes is content).
pub(crate) fn field_is_empty(html: &str) -> bool {
    const EMPTY_MARKUP: [&str; 5] = ["<br>", "<br/>", "<br />", "<div>", "</div>"];
    let mut rest = html;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{200b}');
        if rest.is_empty() {
            return true;
        }
        let markup = EMPTY_MARKUP.iter().find(|tag| {
            rest.len() >= tag.len()
                && rest.as_bytes()[..tag.len()].eq_ignore_ascii_case(tag.as_bytes())
        });
        match markup {
            // The tag is ASCII, so slicing after it stays on a character boundary.
            Some(tag) => rest = &rest[tag.len()..],
            None => return false,
        }
    }
}

fn render_nodes(
    nodes: &[Node],
    context: &TemplateContext,
    out: &mut String,
) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Replace { filters, name } => {
                let Some(mut value) = context.lookup(name) else {
                    return Err(unknown_field(name));
                };
                for filter in filters.iter().rev() {
                    if *filter == "text" {
                        value = escape(&strip_html_preserving_media_filenames(&value));
                    } else if *filter == "cloze" {
                        value = source::cloze::render(
                            &value,
                            context.cloze,
                            context.front_side.is_some(),
                        );
                    }
                }
                out.push_str(&value);
            }
            Node::Section {
                name,
                inverted,
                children,
            } => {
                let Some(value) = context.lookup(name) else {
                    return Err(unknown_field(name));
                };
                if field_is_empty(&value) == *inverted {
                    render_nodes(children, context, out)?;
                }
            }
        }
    }
    Ok(())
}

fn unknown_field(name: &str) -> TemplateError {
    TemplateError {
        message: format!("found `{{{{{name}}}}}`, but there is no field called `{name}`"),
    }
}

/// Renders one side of a card: the template with the context's fields filled in.
///
/// ```
/// use deckforge::preview::{TemplateContext, render_template};
///
/// let context = TemplateContext {
///     fields: vec![("Question".into(), "<b>Why?</b>".into()), ("Source".into(), String::new())],
///     ..TemplateContext::default()
/// };
/// let html = render_template("{{Question}}{{#Source}} ({{Source}}){{/Source}}", &context)?;
/// assert_eq!(html, "<b>Why?</b>");
/// # Ok::<(), deckforge::preview::TemplateError>(())
/// ```
pub fn render_template(template: &str, context: &TemplateContext) -> Result<String, TemplateError> {
    let nodes = parse(template)?;
    let mut out = String::with_capacity(template.len() * 2);
    render_nodes(&nodes, context, &mut out)?;
    Ok(out)
}

/// One card as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PreviewCard {
    /// The rendered front (or the template problem, shown as Anki would).
    pub front: String,
    /// The rendered back.
    pub back: String,
    /// The section headings joined with ` › `, as plain text.
    pub section: String,
    /// The full deck name.
    pub deck: String,
    /// The question's number, if the author numbered it.
    pub number: String,
    /// Tags, space-separated.
    pub tags: String,
    /// The note's GUID.
    pub guid: String,
    /// Lower-case plain text of the question, answer and section, for the search box.
    pub search: String,
}

/// Renders every note of a package through its note type's templates. Notes that were removed
/// from the sources (kept in packages for Anki's sake) are left out: the preview shows the
/// sources. Returns the cards and the template problems found (each reported once).
pub(crate) fn preview_cards(package: &Package) -> (Vec<PreviewCard>, Vec<TemplateError>) {
    let mut problems: Vec<TemplateError> = Vec::new();
    let mut note_problem = |result: Result<String, TemplateError>| match result {
        Ok(html) => html,
        Err(error) => {
            let shown = format!(
                "<div class=\"df-template-error\">The card template has a problem: {}</div>",
                escape(&error.message)
            );
            if !problems.contains(&error) {
                problems.push(error);
            }
            shown
        }
    };
    let mut cards = Vec::with_capacity(package.notes.len());
    for note in package.notes.iter().filter(|n| n.markdown.is_some()) {
        let note_type = &package.meta.note_types[note.note_type];
        let deck = package
            .meta
            .decks
            .get(note.deck)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        let section = note
            .markdown
            .as_ref()
            .map(|m| m.section.join(" › "))
            .unwrap_or_default();
        let search = [field::QUESTION, field::ANSWER]
            .iter()
            .map(|&i| strip_html_preserving_media_filenames(&note.fields[i]))
            .chain([section.clone()])
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let fields: Vec<(String, String)> = note_type
            .fields
            .iter()
            .cloned()
            .zip(
                note.fields
                    .iter()
                    .map(|f| crate::render::media::preview_players(f)),
            )
            .collect();
        // One preview card per card the note makes: each template's, or each cloze number's.
        for card in &note.cards {
            let (template, cloze) = match note_type.cards {
                CardRule::EachTemplate => (note_type.templates.get(usize::from(card.ord)), 0),
                CardRule::Cloze { .. } => (note_type.templates.first(), card.ord + 1),
            };
            let context = TemplateContext {
                fields: fields.clone(),
                tags: note.tags.join(" "),
                deck: deck.clone(),
                card: template.map_or(CARD_TEMPLATE_NAME, |t| &t.name).to_string(),
                note_type: note_type.name.clone(),
                front_side: None,
                cloze,
            };
            let [front, back] = render_card(template, context, &mut note_problem);
            cards.push(PreviewCard {
                front,
                back,
                section: section.clone(),
                deck: deck.clone(),
                number: note.fields[field::NUMBER].clone(),
                tags: note.tags.join(" "),
                guid: note.guid.clone(),
                search: search.clone(),
            });
        }
    }
    (cards, problems)
}

/// A card's front and back through `template` (none: empty sides), the front repeated on the
/// back where it says `{{FrontSide}}`.
/// `shown` turns a side, or its template's problem, into what the page shows.
fn render_card(
    template: Option<&crate::model::CardTemplate>,
    mut context: TemplateContext,
    shown: &mut impl FnMut(Result<String, TemplateError>) -> String,
) -> [String; 2] {
    let (front, back) = template.map_or(("", ""), |t| (t.front.as_str(), t.back.as_str()));
    let front = shown(render_template(front, &context));
    context.front_side = Some(front.clone());
    let back = shown(render_template(back, &context));
    [front, back]
}

/// The page's own look: a toolbar and a grid of front/back panes. Every selector is under
/// `.df-page` or a `df-` class so it cannot restyle the cards; the card CSS comes after it.
const PAGE_CSS: &str = include_str!("preview/page.css");
/// Renders the cards from the embedded JSON, then filters, counts and toggles night mode.
const PAGE_JS: &str = include_str!("preview/page.js");

/// Embeds JSON in a `<script>` element: `<` is written as `\u003c`, so no `</script>` or
/// `<!--` inside a field can end the element early.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The whole preview page for a package: one HTML document with everything inline.
pub fn page(package: &Package) -> (String, PreviewSummary) {
    let (cards, problems) = preview_cards(package);
    let deck_name = package
        .meta
        .decks
        .first()
        .map(|d| d.name.as_str())
        .unwrap_or("deck");
    let mut sections: Vec<&str> = Vec::new();
    for card in &cards {
        if !sections.contains(&card.section.as_str()) {
            sections.push(&card.section);
        }
    }
    let data = serde_json::json!({
        "deck": deck_name,
        "sections": sections,
        "cards": cards,
    });
    let summary = PreviewSummary {
        cards: cards.len(),
        sections: sections.iter().filter(|s| !s.is_empty()).count(),
        template_errors: problems.into_iter().map(|p| p.message).collect(),
    };
    let title = escape(deck_name);
    // `</style` inside a user's CSS would end the element; `\/` is the same character in CSS.
    // The basic type's CSS, and what another note type adds to it (the cloze rules).
    let basic_css = package.meta.note_types[0].css.as_str();
    let mut card_css = basic_css.to_string();
    for note_type in &package.meta.note_types[1..] {
        card_css.push_str(note_type.css.strip_prefix(basic_css).unwrap_or_default());
    }
    let card_css = card_css.replace("</", "<\\/");
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en" class="df-page">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data: file:; media-src 'self' file:; font-src data:">
<meta name="generator" content="deckforge {version}">
<title>{title} · preview</title>
<style id="df-page-style">
{PAGE_CSS}</style>
<style id="df-card-style">
{card_css}
</style>
</head>
<body class="df-page">
<header class="df-toolbar">
  <h1 class="df-title">{title}</h1>
  <div class="df-controls">
    <label class="df-control">Section
      <select id="df-section"><option value="*">All sections</option></select>
    </label>
    <label class="df-control df-search">Search
      <input id="df-search" type="search" placeholder="Words in a question or answer" autocomplete="off">
    </label>
    <label class="df-control df-toggle"><input id="df-answers" type="checkbox" checked> Answers</label>
    <label class="df-control df-toggle"><input id="df-night" type="checkbox"> Night mode</label>
    <output id="df-count" class="df-count" aria-live="polite">{count} cards</output>
  </div>
</header>
<noscript><p class="df-noscript">This preview draws the cards with JavaScript; allow scripts for this file to see them.</p></noscript>
<main id="df-cards" class="df-cards" data-total="{count}" data-rendered="0"></main>
<p id="df-empty" class="df-empty" hidden>No card matches.</p>
<script type="application/json" id="df-data">{data}</script>
<script>
{PAGE_JS}</script>
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        count = cards.len(),
        data = script_json(&data),
    );
    (html, summary)
}

/// What a preview page shows, for the command line to summarise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PreviewSummary {
    /// Cards on the page.
    pub cards: usize,
    /// Distinct non-empty sections.
    pub sections: usize,
    /// Problems in the card templates; the affected cards show the message instead. Empty in
    /// a [`PreviewReport`] whose diagnostics name the template files' problems already.
    pub template_errors: Vec<String>,
}

/// What [`preview`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewReport {
    /// The page written.
    pub output: PathBuf,
    /// The deck's name.
    pub deck_name: String,
    /// Counts and template problems.
    pub summary: PreviewSummary,
    /// Every problem of the card templates, naming the template file and line, then warnings
    /// about the sources, as a build would report them.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the sources as [`build`](crate::build::build) would and writes the preview page to
/// `options.output`. The lock file is read, so GUIDs and tags match the next build, but it is
/// never written: a preview changes nothing.
pub fn preview(options: &BuildOptions) -> Result<PreviewReport> {
    let documents = options
        .inputs
        .iter()
        .map(|path| source::load_with(path, options.layout))
        .collect::<Result<Vec<_>>>()?;
    let previous = options.read_lock_for_preview()?;
    let plan = plan(&documents, options, previous.as_ref());
    let (html, mut summary) = page(&plan.package);
    // The file check names every template problem with its file and line; the page's own
    // messages say the same things without them, so they are kept only for what it misses.
    let mut diagnostics = options.templates.problems();
    if !diagnostics.is_empty() {
        summary.template_errors.clear();
    }
    diagnostics.extend(plan.diagnostics);
    write_file(&options.output, |out| {
        use std::io::Write;
        out.write_all(html.as_bytes())
            .map_err(crate::write::atomic::write_error(&options.output))
    })?;
    Ok(PreviewReport {
        output: options.output.clone(),
        deck_name: plan.package.meta.decks[0].name.clone(),
        summary,
        diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(fields: &[(&str, &str)]) -> TemplateContext {
        TemplateContext {
            fields: fields
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            tags: "a::b c".into(),
            deck: "Deck::Sub".into(),
            ..TemplateContext::default()
        }
    }

    #[test]
    fn replaces_fields_and_keeps_their_html() {
        let c = context(&[("Question", "<b>Q</b> &amp; more"), ("Answer", "A")]);
        assert_eq!(
            render_template("<div>{{Question}}</div>{{ Answer }}", &c).unwrap(),
            "<div><b>Q</b> &amp; more</div>A"
        );
    }

    #[test]
    fn sections_follow_emptiness_like_anki() {
        let c = context(&[
            ("Full", "x"),
            ("Empty", " <br> <div></div>\n"),
            ("None", ""),
        ]);
        let t = "{{#Full}}F{{/Full}}{{#Empty}}E{{/Empty}}{{^Empty}}e{{/Empty}}{{^None}}n{{/None}}";
        assert_eq!(render_template(t, &c).unwrap(), "Fen");
        let nested = "{{#Full}}[{{^None}}{{Full}}{{/None}}]{{/Full}}";
        assert_eq!(render_template(nested, &c).unwrap(), "[x]");
        assert!(!field_is_empty("<div class=x></div>"));
        assert!(field_is_empty("\u{200b} "));
    }

    #[test]
    fn front_side_special_fields_and_text_filter() {
        let mut c = context(&[("Q", "<i>why</i> &lt;")]);
        assert_eq!(render_template("{{FrontSide}}", &c).unwrap(), "");
        c.front_side = Some("<p>front</p>".into());
        assert_eq!(
            render_template("{{FrontSide}}|{{text:Q}}|{{Tags}}|{{Deck}}|{{Subdeck}}", &c).unwrap(),
            "<p>front</p>|why &lt;|a::b c|Deck::Sub|Sub"
        );
        assert_eq!(
            render_template("{{hint:Q}}", &c).unwrap(),
            "<i>why</i> &lt;"
        );
    }

    #[test]
    fn problems_are_named() {
        let c = context(&[("Q", "x")]);
        let error = |t| render_template(t, &c).unwrap_err().message;
        assert!(error("{{Nope}}").contains("no field called `Nope`"));
        assert!(error("{{#Q}}x").contains("never closed"));
        assert!(error("{{#Q}}x{{/R}}").contains("`{{/Q}}` was expected"));
        assert!(error("x{{/Q}}").contains("no section to close"));
        assert!(error("{{Q").contains("never closed"));
    }

    #[test]
    fn the_default_templates_render_every_field() {
        let templates = crate::templates::Templates::default();
        let mut c = context(&[
            ("Question", "What?"),
            ("Answer", "<ul><li>That.</li></ul>"),
            ("Section", "Basics"),
            ("Number", "7"),
            ("Source", ""),
        ]);
        let front = render_template(&templates.front, &c).unwrap();
        assert!(front.contains("What?") && front.contains("Basics") && front.contains("#7"));
        c.front_side = Some(front.clone());
        let back = render_template(&templates.back, &c).unwrap();
        assert!(back.starts_with(&front));
        assert!(back.contains("<li>That.</li>"));
        assert!(!back.contains("Source:"), "an empty source is hidden");
    }

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let value = serde_json::json!({"x": "</script><!-- <b>"});
        let text = script_json(&value);
        assert!(!text.contains('<'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }
}
