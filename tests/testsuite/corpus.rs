//! The real documents in tests/fixtures/corpus (see its README for sources and licenses): each
//! yields exactly its questions, with whole answers and no clutter.

use deckforge::source::{CardDraft, Document};

use crate::support::parse_fixture;

fn card<'d>(document: &'d Document, question: &str) -> &'d CardDraft {
    let found: Vec<_> = document
        .cards
        .iter()
        .filter(|c| c.question == question)
        .collect();
    assert_eq!(found.len(), 1, "cards asking {question:?}");
    found[0]
}

/// Navigation, sponsor and separator text never ends up in an answer.
fn assert_no_clutter(document: &Document, clutter: &[&str]) {
    for card in &document.cards {
        for bit in clutter {
            assert!(
                !card.answer.contains(bit),
                "{}:{} answer holds clutter {bit:?}",
                document.path.display(),
                card.line
            );
        }
        assert!(!card.answer.trim().is_empty());
        assert!(!card.question.trim().is_empty());
    }
}

fn left_out(document: &Document) -> Vec<(usize, &str)> {
    document
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect()
}

#[test]
fn seed_keeps_its_hundred_cards() {
    let doc = parse_fixture("examples/mlops-interview-questions.md");
    assert_eq!(doc.layout.map(|l| l.name()), Some("answer-label"));
    assert_eq!(doc.cards.len(), 100);
    let numbers: Vec<_> = doc.cards.iter().filter_map(|c| c.number).collect();
    assert_eq!(numbers, (1..=100).collect::<Vec<_>>());
    let q88 = card(
        &doc,
        "How do you deal with regulatory audits that require transparency in model decisions?",
    );
    assert_eq!(q88.line, 446);
    assert_eq!(
        q88.answer,
        "Ensure that all model versions, datasets, and decision logic are well-documented. Use explainability techniques"
    );
}

#[test]
fn ml_questions_headings_with_source_links() {
    let doc = parse_fixture("tests/fixtures/corpus/ml-questions.md");
    assert_eq!(doc.layout.map(|l| l.name()), Some("headings"));
    // 67 question headings: 65 `#### N)` and two `### 66)`; #9 and #14 have no answer.
    assert_eq!(doc.cards.len(), 65);
    let missing = left_out(&doc);
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert_eq!(missing[0].0, 88);
    assert_eq!(missing[1].0, 113);
    assert!(doc.cards.iter().all(|c| *c.section == ["Questions"]));

    let first = &doc.cards[0];
    assert_eq!(
        first.question,
        "What's the trade-off between bias and variance?"
    );
    assert_eq!(first.number, Some(1));
    assert_eq!(first.line, 22);
    assert_eq!(
        first.source_link.as_deref(),
        Some(
            "http://houseofbots.com/news-detail/2849-4-data-science-and-machine-learning-interview-questions"
        )
    );
    assert_eq!(
        first.answer,
        "If our model is too simple and has very few parameters then it may have high bias and low variance. On the other hand if our model has large number of parameters then it’s going to have high variance and low bias. So we need to find the right/good balance without overfitting and underfitting the data. [[src]](https://towardsdatascience.com/understanding-the-bias-variance-tradeoff-165e6942b229)"
    );

    let last = doc.cards.last().expect("cards");
    assert_eq!(last.question, "What are RCNNs?");
    assert_eq!(last.number, Some(66));
    assert_eq!(
        last.source_link.as_deref(),
        Some("https://towardsdatascience.com/learn-rcnns-with-this-toy-dataset-be19dce380ec")
    );
    assert!(
        last.answer
            .ends_with("to identify and locate objects within an image.")
    );

    // A code block whose `#Model 1` lines are not headings.
    let split = card(
        &doc,
        "Given that we want to evaluate the performance of 'n' different machine learning models on the same data, why would the following splitting mechanism be incorrect :",
    );
    assert_eq!(split.number, Some(64));
    assert!(split.answer.starts_with("```\ndef get_splits():\n"));
    assert!(
        split
            .answer
            .contains("#Model 1\n\nfrom sklearn.tree import DecisionTreeClassifier")
    );
    assert!(split.answer.ends_with("bb2dc68d8431#:~:text=In%20Scikit%2Dlearn%2C%20the%20random,random%20state%20instance%20from%20np.)"));

    // The last `####` question's answer stops at the `### 66)` question after it.
    let bayes = card(
        &doc,
        "What is the difference between Bayesian vs frequentist statistics?",
    );
    assert!(
        bayes
            .answer
            .ends_with("while frequentist statistics doesn't.")
    );

    // A bullet list answer, with its trailing source link.
    let curse = card(&doc, "How do you combat the curse of dimensionality?");
    assert!(curse.answer.starts_with("- Feature Selection(manual or via statistical methods)\n - Principal Component Analysis (PCA)"));

    for card in &doc.cards {
        assert!(!card.question.contains("[src]"), "{}", card.question);
        assert!(
            !["Preparation Resources", "Contributions", "Questions"]
                .contains(&card.question.as_str())
        );
    }
    assert_no_clutter(
        &doc,
        &[
            "sponsored",
            "promo code",
            "Contributions are most welcomed",
            "Fork the repository",
            "## ",
        ],
    );
}

#[test]
fn data_science_bold_paragraphs_with_difficulty() {
    let doc = parse_fixture("tests/fixtures/corpus/data-science-theory.md");
    assert_eq!(doc.layout.map(|l| l.name()), Some("bold-paragraph"));
    assert_eq!(doc.cards.len(), 152);
    let placeholders: Vec<_> = left_out(&doc)
        .into_iter()
        .filter(|(_, m)| m.contains("placeholder (\"answer here\")"))
        .collect();
    assert_eq!(placeholders.len(), 14);
    assert_eq!(doc.diagnostics.len(), 14);

    let first = &doc.cards[0];
    assert_eq!(first.question, "What is supervised machine learning?");
    assert_eq!(*first.section, ["Supervised machine learning"]);
    assert_eq!(first.tags, ["difficulty::easy"]);
    assert_eq!(first.line, 45);
    assert!(
        first
            .answer
            .starts_with("Supervised learning is a type of machine learning")
    );
    assert!(
        first
            .answer
            .ends_with("\n\nk-Nearest Neighbors(KNN):Looking at the k closest labeled data points")
    );

    let last = doc.cards.last().expect("cards");
    assert_eq!(
        last.question,
        "What are the problems with using trees for solving time series problems?"
    );
    assert_eq!(*last.section, ["Time series"]);
    assert_eq!(last.tags, ["difficulty::medium"]);
    assert_eq!(
        last.answer,
        "Random Forest models are not able to extrapolate time series data and understand increasing/decreasing trends. It will provide us with average data points if the validation data has values greater than the training data points."
    );

    let code = card(&doc, "What is linear regression? When do we use it?");
    assert!(
        code.answer
            .starts_with("Linear regression is a model that assumes a linear relationship")
    );
    assert!(
        code.answer
            .contains("Simple linear regression:\n\n```\ny = B0 + B1*x1\n```")
    );
    assert!(
        code.answer
            .ends_with("Multiple linear regression:\n\n```\ny = B0 + B1*x1 + ... + Bn * xN\n```")
    );

    let nested = card(&doc, "What are the main assumptions of linear regression?");
    assert_eq!(nested.tags, ["difficulty::medium"]);
    assert!(nested.answer.contains("\n   1. No correlation between errors (consecutive errors in the case of time series data).\n"));

    let table = card(
        &doc,
        "What is the confusion table? What are the cells in this table?",
    );
    assert!(table.answer.contains("|"), "{}", table.answer);

    let topic = card(&doc, "Precision-recall trade-off");
    assert_eq!(topic.tags, ["difficulty::medium"]);

    // `‍⭐️I`: a stray letter typed after the emoji goes with it.
    let stray = card(
        &doc,
        "What is the area under the PR curve? Is it a useful metric?",
    );
    assert_eq!(stray.tags, ["difficulty::medium"]);

    let both = card(
        &doc,
        "Possible approaches to solving the cold start problem?",
    );
    assert_eq!(both.tags, ["difficulty::medium", "difficulty::expert"]);

    for card in &doc.cards {
        assert!(
            !card.question.contains(['👶', '⭐', '🚀']),
            "{}",
            card.question
        );
        assert!(!card.answer.ends_with("<br/>"), "{}", card.answer);
    }
    assert_no_clutter(
        &doc,
        &[
            "Table of contents",
            "Legend:",
            "Answer here",
            "\n<br/>",
            "**What ",
        ],
    );
}

#[test]
fn react_numbered_items_holding_headings() {
    let doc = parse_fixture("tests/fixtures/corpus/reactjs-interview-questions.md");
    assert_eq!(doc.layout.map(|l| l.name()), Some("list-headings"));
    // 416 numbered items (415 `###`, one `####`) and one heading that lost its number; 260 has
    // no answer.
    assert_eq!(doc.cards.len(), 416);
    assert_eq!(left_out(&doc).len(), 1);
    assert_eq!(left_out(&doc)[0].0, 6350);
    assert_eq!(doc.numbers.len(), 416);

    let first = &doc.cards[0];
    assert_eq!(
        (first.question.as_str(), first.number, first.line),
        ("What is React?", Some(1), 495)
    );
    assert_eq!(*first.section, ["Core React"]);
    assert_eq!(
        first.answer,
        "React (aka React.js or ReactJS) is an **open-source front-end JavaScript library** for building user interfaces based on components. It's used for handling the view layer in web and mobile applications, and allows developers to create reusable UI components and manage the state of those components efficiently.\n\nReact was created by [Jordan Walke](https://github.com/jordwalke), a software engineer at Facebook (now Meta). It was first deployed on Facebook's News Feed in 2011 and on Instagram in 2012. The library was open-sourced in May 2013 and has since become one of the most popular JavaScript libraries for building modern user interfaces."
    );

    let last = doc.cards.last().expect("cards");
    assert_eq!(last.question, "Can I use javascript urls in react16.9?");
    assert_eq!(
        (last.number, &last.section[..]),
        (Some(91), ["Old Q&A".to_string()].as_slice())
    );
    assert!(last.answer.starts_with(
        "**⚠️ DEPRECATED:** As of React 19, `javascript:` URLs are no longer supported"
    ));
    assert!(
        last.answer
            .ends_with("// Or better:\n<button onClick={handleClick}>More details</button>\n```")
    );

    // A mis-indented item with a <details> deep dive.
    let history = card(&doc, "What is the history behind React evolution?");
    assert_eq!(history.number, Some(2));
    assert!(
        history
            .answer
            .starts_with("The history of ReactJS started in 2010 with the creation of **XHP**.")
    );
    assert!(history.answer.contains("<details>"));
    assert!(history.answer.ends_with("**Note:** JSX, React's syntax extension, was indeed inspired by XHP's approach of embedding XML-like syntax in code."));

    // In-answer headings and a table stay in the answer.
    let props = card(&doc, "What is the difference between state and props?");
    for heading in [
        "### State",
        "### Props",
        "### Summary Table",
        "| Feature   | State",
    ] {
        assert!(props.answer.contains(heading), "{heading}");
    }

    let reselect = card(&doc, "Give an example of Reselect usage?");
    assert_eq!(reselect.number, Some(154));
    assert!(reselect.answer.starts_with("Let's take calculations"));

    let unnumbered = card(
        &doc,
        "Why function is preferred over object for `setState()`?",
    );
    assert_eq!(unnumbered.number, None);
    assert_eq!(unnumbered.line, 9990);
    assert!(
        unnumbered
            .answer
            .starts_with("React may batch multiple `setState()` calls")
    );
    let before = card(&doc, "Why we need to pass a function to setState()?");
    assert!(
        before
            .answer
            .ends_with("// this.state.count === 3 as expected\n```"),
        "{}",
        before.answer
    );

    let old: Vec<_> = doc
        .cards
        .iter()
        .filter(|c| *c.section == ["Old Q&A"])
        .collect();
    assert_eq!(old.len(), 92);
    assert_eq!(old[0].number, Some(1));

    for card in &doc.cards {
        assert!(
            card.line > 493,
            "a card in the table of contents: {}",
            card.question
        );
        for heading in [
            "State",
            "Props",
            "Summary Table",
            "Example Usage",
            "Table of Contents",
        ] {
            assert_ne!(card.question, heading);
        }
        assert!(!card.question.contains("Fiber Tree Structure"));
    }
    assert_no_clutter(
        &doc,
        &[
            "Back to Top",
            "(#table-of-contents)",
            "**(OR)**",
            "## Disclaimer",
        ],
    );
}
