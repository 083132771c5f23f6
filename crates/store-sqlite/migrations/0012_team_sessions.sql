-- Team learning sessions (issue 10). `plan` and `state` are the domain's JSON; `phase` repeats the state's
-- phase for listing and joining. Participants are anonymous: only the hash of their cookie token is kept;
-- answers carry no name, address, device or time. One answer per participant per question (primary key).
CREATE TABLE team_sessions (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL,
    location_id   INTEGER NOT NULL,
    join_code     TEXT    NOT NULL UNIQUE,
    phase         TEXT    NOT NULL CHECK (phase IN ('draft', 'running', 'closed')),
    plan          TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    follow_up_of  INTEGER,
    created_by    INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, follow_up_of) REFERENCES team_sessions (org_id, id)
) STRICT;
CREATE INDEX team_sessions_by_location ON team_sessions (org_id, location_id, id);

CREATE TABLE team_participants (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    session_id  INTEGER NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    UNIQUE (org_id, session_id, id),
    FOREIGN KEY (org_id, session_id) REFERENCES team_sessions (org_id, id)
) STRICT;

CREATE TABLE team_answers (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    session_id      INTEGER NOT NULL,
    participant_id  INTEGER NOT NULL,
    question        INTEGER NOT NULL CHECK (question >= 0),
    value           TEXT    NOT NULL,
    UNIQUE (session_id, participant_id, question),
    FOREIGN KEY (org_id, session_id, participant_id) REFERENCES team_participants (org_id, session_id, id)
) STRICT;
