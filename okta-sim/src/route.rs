//! The endpoints the simulator serves, named apart from how requests reach them, so the role
//! table and the router can both speak of them.

/// An endpoint the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    ListUsers,
    CreateUser,
    GetUser,
    UpdateUser,
    ReplaceUser,
    DeleteUser,
    UserLifecycle(&'static str),
    ChangePassword,
    UserGroups,
    UserAppLinks,
    ListFactors,
    EnrollFactor,
    FactorQuestions,
    GetFactor,
    DeleteFactor,
    ActivateFactor,
    ListGroups,
    CreateGroup,
    GetGroup,
    ReplaceGroup,
    DeleteGroup,
    ListGroupUsers,
    AddGroupUser,
    RemoveGroupUser,
    ListApps,
    GetApp,
    ListAppUsers,
    AssignAppUser,
    GetAppUser,
    UnassignAppUser,
    ListLogs,
    GetOrg,
}
