-- +goose Up
CREATE TABLE gadgets (
    id        bigint PRIMARY KEY,
    widget_id bigint NOT NULL REFERENCES widgets (id)
);

-- +goose Down
DROP TABLE gadgets;
