//! The simulator's entities: users, groups, apps and their assignments, factors and the
//! System Log, and users' sessions. Plain data and its JSON form; no request handling and no HTTP types.

mod app;
mod factor;
mod group;
mod log;
mod session;
mod user;

pub use app::AppSeed;
pub(crate) use app::{App, AppGroup, AppUser, group_assignment, seed_assignment, takes_passwords};
pub use factor::SIM_PASSCODE;
pub(crate) use factor::{Factor, QUESTIONS};
pub(crate) use group::{Group, GroupType};
pub(crate) use log::{LogStore, NewEvent, RequestMeta, StoredEvent, Target};
pub use session::SignIn;
pub(crate) use session::UserSessions;
pub(crate) use user::{Pending, Status, Transition, User, seed_profile};
