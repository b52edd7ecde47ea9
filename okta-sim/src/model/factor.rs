//! Factors: the enrolled-factor object and the security questions.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Target;
use crate::util;

/// The passcode that activates any pending factor in the simulator.
pub const SIM_PASSCODE: &str = "123456";

/// Security question keys and texts.
pub(crate) const QUESTIONS: &[(&str, &str)] = &[
    (
        "disliked_food",
        "What is the food you least liked as a child?",
    ),
    (
        "name_of_first_plush_toy",
        "What is the name of your first stuffed animal?",
    ),
    (
        "first_award",
        "What did you earn your first medal or award for?",
    ),
    (
        "favorite_security_question",
        "What is your favorite security question?",
    ),
    (
        "favorite_toy",
        "What is the toy/stuffed animal you liked the most as a kid?",
    ),
    (
        "first_computer_game",
        "What was the first computer game you played?",
    ),
    ("favorite_movie_quote", "What is your favorite movie quote?"),
    (
        "first_sports_team_mascot",
        "What was the mascot of the first sports team you played on?",
    ),
    (
        "first_music_purchase",
        "What music album or song did you first purchase?",
    ),
    ("favorite_art_piece", "What is your favorite piece of art?"),
    (
        "grandmother_favorite_desert",
        "What was your grandmother's favorite dessert?",
    ),
    (
        "first_thing_cooked",
        "What was the first thing you learned to cook?",
    ),
    ("childhood_dream_job", "What was your dream job as a child?"),
    ("first_kiss_location", "Where did you have your first kiss?"),
    (
        "place_where_significant_other_was_met",
        "Where did you meet your spouse/significant other?",
    ),
    (
        "favorite_vacation_location",
        "Where did you go for your favorite vacation?",
    ),
    (
        "new_years_two_thousand",
        "Where were you on New Year's Eve in the year 2000?",
    ),
    (
        "favorite_speaker_actor",
        "Who is your favorite speaker/orator?",
    ),
    (
        "favorite_book_movie_character",
        "Who is your favorite book/movie character?",
    ),
    (
        "favorite_sports_player",
        "Who is your favorite sports player?",
    ),
];

/// One enrolled factor.
#[derive(Debug, Clone)]
pub(crate) struct Factor {
    pub id: String,
    pub factor_type: String,
    pub provider: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub profile: Map<String, Value>,
    /// `_embedded.activation` while PENDING_ACTIVATION (totp and push).
    pub activation: Option<Value>,
}

fn hinted(href: String, methods: &[&str]) -> Value {
    json!({"href": href, "hints": {"allow": methods}})
}

impl Factor {
    pub fn new(id: String, factor_type: &str, provider: &str, status: &str) -> Factor {
        let now = util::now();
        Factor {
            id,
            factor_type: factor_type.to_string(),
            provider: provider.to_string(),
            status: status.to_string(),
            created: now,
            last_updated: now,
            profile: Map::new(),
            activation: None,
        }
    }

    pub fn as_target(&self) -> Target {
        Target::new(
            &self.id,
            "AuthenticatorEnrollment",
            &self.factor_type,
            &format!("{} ({})", self.factor_type, self.provider),
        )
    }

    pub fn to_json(&self, base: &str, user_id: &str) -> Value {
        let user = format!("{base}/api/v1/users/{user_id}");
        let me = format!("{user}/factors/{}", self.id);
        let pending = self.status == "PENDING_ACTIVATION";
        let mut links = Map::new();
        links.insert(
            "self".into(),
            hinted(
                me.clone(),
                if pending {
                    &["GET"]
                } else {
                    &["GET", "DELETE"]
                },
            ),
        );
        links.insert("user".into(), hinted(user.clone(), &["GET"]));
        match (self.factor_type.as_str(), pending) {
            ("question", _) => {
                links.insert(
                    "questions".into(),
                    hinted(format!("{user}/factors/questions"), &["GET"]),
                );
            }
            ("push", true) => {
                links.insert(
                    "poll".into(),
                    hinted(format!("{me}/lifecycle/activate/poll"), &["POST"]),
                );
            }
            (_, true) => {
                links.insert(
                    "activate".into(),
                    hinted(format!("{me}/lifecycle/activate"), &["POST"]),
                );
                // One link object, as the spec's `LinksResend` declares and okta-sdk-python
                // requires (Okta's 2014-era examples showed a one-element array).
                if matches!(self.factor_type.as_str(), "sms" | "call" | "email") {
                    let mut resend = hinted(format!("{me}/resend"), &["POST"]);
                    if let Some(m) = resend.as_object_mut() {
                        m.insert("name".into(), json!(self.factor_type));
                    }
                    links.insert("resend".into(), resend);
                }
            }
            (_, false) => {
                links.insert("verify".into(), hinted(format!("{me}/verify"), &["POST"]));
            }
        }
        let mut v = json!({
            "id": self.id,
            "factorType": self.factor_type,
            "provider": self.provider,
            "vendorName": self.provider,
            "status": self.status,
            "created": util::ts(&self.created),
            "lastUpdated": util::ts(&self.last_updated),
            "_links": Value::Object(links),
        });
        if let Some(map) = v.as_object_mut() {
            if !self.profile.is_empty() || self.factor_type != "push" {
                map.insert("profile".into(), Value::Object(self.profile.clone()));
            }
            if let (true, Some(activation)) = (pending, &self.activation) {
                map.insert("_embedded".into(), json!({"activation": activation}));
            }
        }
        v
    }
}
