-- Team learning sessions (issue 10), points 3 and 4: action points, dot voting, the actions agreed, and the
-- case work groups with their worksheets.
-- Points and dots are anonymous like answers: the participant id only serves the limits (points and dots per
-- participant, one slot per dot) and no name, address, device or time is stored with them.
CREATE TABLE team_points (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    session_id      INTEGER NOT NULL,
    participant_id  INTEGER NOT NULL,
    seq             INTEGER NOT NULL CHECK (seq >= 0),
    level           TEXT    NOT NULL CHECK (level IN ('individual', 'team', 'partners')),
    text            TEXT    NOT NULL,
    UNIQUE (org_id, session_id, id),
    UNIQUE (session_id, participant_id, seq),
    UNIQUE (session_id, participant_id, text),
    FOREIGN KEY (org_id, session_id, participant_id) REFERENCES team_participants (org_id, session_id, id)
) STRICT;

CREATE TABLE team_dots (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    session_id      INTEGER NOT NULL,
    participant_id  INTEGER NOT NULL,
    point_id        INTEGER NOT NULL,
    slot            INTEGER NOT NULL CHECK (slot >= 0),
    UNIQUE (session_id, participant_id, slot),
    FOREIGN KEY (org_id, session_id, participant_id) REFERENCES team_participants (org_id, session_id, id),
    FOREIGN KEY (org_id, session_id, point_id) REFERENCES team_points (org_id, session_id, id)
) STRICT;

-- An action belongs to the session's location; the school action list and "Mijn taken" read it from here.
CREATE TABLE team_actions (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    session_id  INTEGER NOT NULL,
    point_id    INTEGER,
    text        TEXT    NOT NULL,
    level       TEXT    NOT NULL CHECK (level IN ('individual', 'team', 'partners')),
    owner_id    INTEGER NOT NULL,
    planned_on  TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
    done_at     TEXT,
    done_by     INTEGER,
    created_by  INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (session_id, point_id),
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id),
    FOREIGN KEY (org_id, session_id) REFERENCES team_sessions (org_id, id),
    FOREIGN KEY (org_id, session_id, point_id) REFERENCES team_points (org_id, session_id, id),
    FOREIGN KEY (org_id, owner_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, done_by) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
) STRICT;
CREATE INDEX team_actions_by_location ON team_actions (org_id, location_id, planned_on);
CREATE INDEX team_actions_by_owner ON team_actions (org_id, owner_id, planned_on);

-- Case work (issue 10 point 3): groups of a session, each on one case of the plan; a participant is in one
-- group (one seat each, so a group never has more members than the seats handed out); the worksheet per
-- group, step and field, with a version per field so concurrent edits are noticed.
CREATE TABLE team_groups (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    session_id  INTEGER NOT NULL,
    name        TEXT NOT NULL,
    case_index  INTEGER NOT NULL CHECK (case_index >= 0),
    UNIQUE (org_id, session_id, id),
    UNIQUE (session_id, name),
    FOREIGN KEY (org_id, session_id) REFERENCES team_sessions (org_id, id)
) STRICT;

CREATE TABLE team_group_members (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    session_id      INTEGER NOT NULL,
    group_id        INTEGER NOT NULL,
    participant_id  INTEGER NOT NULL,
    seat            INTEGER NOT NULL CHECK (seat >= 0),
    UNIQUE (session_id, participant_id),
    UNIQUE (group_id, seat),
    FOREIGN KEY (org_id, session_id, group_id) REFERENCES team_groups (org_id, session_id, id),
    FOREIGN KEY (org_id, session_id, participant_id) REFERENCES team_participants (org_id, session_id, id)
) STRICT;

CREATE TABLE team_group_fields (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    session_id  INTEGER NOT NULL,
    group_id    INTEGER NOT NULL,
    step        INTEGER NOT NULL CHECK (step >= 0),
    field       TEXT NOT NULL CHECK (field IN ('positives', 'attention', 'key_persons')),
    text        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    UNIQUE (group_id, step, field),
    FOREIGN KEY (org_id, session_id, group_id) REFERENCES team_groups (org_id, session_id, id)
) STRICT;
