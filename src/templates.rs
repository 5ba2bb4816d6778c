//! The card templates and CSS of deckforge's note type: embedded defaults from `templates/`.

use crate::model::CardTemplate;

/// Front, back and styling of the single card template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub front: String,
    pub back: String,
    pub css: String,
}

/// The template name is part of the note type's schema; it never changes.
pub const CARD_TEMPLATE_NAME: &str = "Question → Answer";

impl Default for Templates {
    fn default() -> Self {
        Templates {
            front: include_str!("../templates/front.html").to_string(),
            back: include_str!("../templates/back.html").to_string(),
            css: include_str!("../templates/style.css").to_string(),
        }
    }
}

impl Templates {
    pub fn card_templates(&self) -> Vec<CardTemplate> {
        vec![CardTemplate {
            name: CARD_TEMPLATE_NAME.to_string(),
            front: self.front.clone(),
            back: self.back.clone(),
        }]
    }
}
