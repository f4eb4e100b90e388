//! Classification against real User-Agents: a public corpus of crawlers, the link
//! previews and AI crawlers readers' links meet, and real browsers.

use super::rules::{Audience, Rules};
use super::{Kind, Outcome, RequestFacts, Tally};
use crate::metrics::Metrics;
use crate::verdict::Slug;
use http::{HeaderMap, HeaderValue, Method, header};
use std::sync::Arc;

const CRAWLERS: &str =
    include_str!("../../tests/fixtures/crawler-user-agents/crawler-user-agents.json");
const PREVIEWS_AND_AI: &str =
    include_str!("../../tests/fixtures/user-agents/link-previews-and-ai.txt");
const BROWSERS: &str = include_str!("../../tests/fixtures/user-agents/browsers.txt");

/// Patterns of the corpus that are not bots here, and why.
const NOT_BOTS_HERE: &[(&str, &str)] = &[
    // Image proxies fetch for readers: counted from their published ranges only.
    ("github-camo", "GitHub's image proxy"),
    ("GoogleImageProxy", "Gmail's image proxy"),
    // Readers' in-app browsers the corpus files as bots.
    (
        "MetaIAB Facebook",
        "Facebook's in-app browser since 2025 (its agent ends in `MetaIAB Facebook`)",
    ),
    (
        "AP3A\\.240617\\.008",
        "an Android 15 build number, here in an Instagram in-app browser's agent",
    ),
];

/// Every instance of the crawler corpus, with its pattern.
fn crawler_instances() -> Vec<(String, String)> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(CRAWLERS).unwrap();
    entries
        .iter()
        .flat_map(|e| {
            let pattern = e["pattern"].as_str().unwrap().to_owned();
            e["instances"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |i| (pattern.clone(), i.as_str().unwrap().to_owned()))
        })
        .collect()
}

/// The User-Agents of a line-per-agent fixture (`#` starts a comment line).
fn lines(fixture: &str) -> Vec<&str> {
    fixture
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn with_agent(agent: &str) -> Option<HeaderMap> {
    let mut headers = HeaderMap::new();
    headers.insert(header::USER_AGENT, HeaderValue::from_str(agent).ok()?);
    Some(headers)
}

/// What a `GET` with `agent`, from an address in no image-proxy range, is tallied as.
fn tallied_as(tally: &Tally, agent: &str) -> Outcome {
    // An agent that is no valid header value never reaches a handler.
    let Some(headers) = with_agent(agent) else {
        return Outcome::Bot;
    };
    let facts = RequestFacts {
        method: &Method::GET,
        headers: &headers,
        client_ip: [203, 0, 113, 7].into(),
    };
    tally.observe(&facts, &Slug::parse("a").unwrap(), Kind::Badge)
}

fn tally() -> Tally {
    Tally::new(1_000_000, 0, Arc::new(Metrics::new()))
}

#[test]
fn every_crawler_of_the_corpus_is_tallied_as_a_bot() {
    let tally = tally();
    let instances = crawler_instances();
    assert!(instances.len() > 2000, "the whole corpus is read");
    let mut readers = Vec::new();
    let mut excepted = 0;
    for (pattern, agent) in &instances {
        if NOT_BOTS_HERE.iter().any(|(p, _)| p == pattern) {
            excepted += 1;
            continue;
        }
        if tallied_as(&tally, agent) != Outcome::Bot {
            readers.push(format!("{pattern}: {agent}"));
        }
    }
    assert_eq!(
        excepted,
        NOT_BOTS_HERE.len(),
        "each exception is in the corpus"
    );
    assert!(
        readers.is_empty(),
        "{} of {} crawler instances were counted as readers:\n{}",
        readers.len(),
        instances.len(),
        readers.join("\n")
    );
}

#[test]
fn the_corpus_exceptions_are_what_they_are_said_to_be() {
    let rules = Rules::new();
    let tally = tally();
    for (pattern, agent) in crawler_instances() {
        let Some((_, why)) = NOT_BOTS_HERE.iter().find(|(p, _)| *p == pattern) else {
            continue;
        };
        let audience = rules.classify(&Method::GET, &with_agent(&agent).unwrap());
        if why.contains("image proxy") {
            assert_eq!(audience, Audience::ImageProxy, "{agent}");
        } else {
            assert_eq!(tallied_as(&tally, &agent), Outcome::Counted, "{agent}");
        }
    }
}

#[test]
fn every_link_preview_and_ai_crawler_is_tallied_as_a_bot() {
    let tally = tally();
    let agents = lines(PREVIEWS_AND_AI);
    assert!(agents.len() > 50);
    let readers: Vec<_> = agents
        .iter()
        .filter(|a| tallied_as(&tally, a) != Outcome::Bot)
        .collect();
    assert!(readers.is_empty(), "counted as readers: {readers:#?}");
}

#[test]
fn every_browser_is_counted_as_a_reader() {
    let tally = tally();
    let agents = lines(BROWSERS);
    assert!(agents.len() > 50);
    let bots: Vec<_> = agents
        .iter()
        .filter(|a| tallied_as(&tally, a) != Outcome::Counted)
        .collect();
    assert!(bots.is_empty(), "not counted as readers: {bots:#?}");
}
