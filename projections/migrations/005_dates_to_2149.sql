-- Business dates reach 2149-12-31 plus the terms after it (README: command bounds); Date ends on
-- 2149-06-06, Date32 holds 1900-01-01 to 2299-12-31.
ALTER TABLE appeals
    MODIFY COLUMN received_on Date32,
    MODIFY COLUMN due_on Date32,
    MODIFY COLUMN forward_by Date32,
    MODIFY COLUMN answered_on Nullable(Date32),
    MODIFY COLUMN overdue_on Nullable(Date32);
