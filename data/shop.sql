-- The shop example's database (scripts/08_shop.rhai). The same rows every time:
--   rm -f data/shop.sqlite && sqlite3 data/shop.sqlite < data/shop.sql
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    joined DATE NOT NULL,
    newsletter BOOLEAN NOT NULL
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price REAL NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    ordered DATE NOT NULL,
    quantity INTEGER NOT NULL,
    shipped DATETIME
);

INSERT INTO products (id, name, category, price) VALUES
    (1, 'Espresso beans 1 kg', 'Coffee', 24.90),
    (2, 'Filter beans 1 kg', 'Coffee', 21.50),
    (3, 'Decaf beans 500 g', 'Coffee', 12.40),
    (4, 'Green tea 100 g', 'Tea', 8.90),
    (5, 'Black tea 250 g', 'Tea', 9.80),
    (6, 'Hand grinder', 'Equipment', 59.00),
    (7, 'Pour-over kettle', 'Equipment', 44.00),
    (8, 'Paper filters (100)', 'Equipment', 4.50),
    (9, 'Ceramic mug', 'Gifts', 14.00),
    (10, 'Gift card', 'Gifts', 25.00);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
INSERT INTO customers (id, name, city, joined, newsletter)
SELECT i,
       'Customer ' || printf('%03d', i),
       CASE i % 5 WHEN 0 THEN 'Oslo' WHEN 1 THEN 'Bergen' WHEN 2 THEN 'Trondheim' WHEN 3 THEN 'Stavanger' ELSE 'Tromsø' END,
       date('2023-01-01', '+' || ((i * 37) % 540) || ' days'),
       (i * 7) % 3 = 0
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO orders (id, customer_id, product_id, ordered, quantity, shipped)
SELECT i,
       1 + (i * 53) % 120,
       1 + (i * 7 + i / 10) % 10,
       date('2024-01-01', '+' || ((i * 131) % 366) || ' days'),
       1 + (i * 17) % 4,
       CASE WHEN i % 11 = 0 THEN NULL
            ELSE datetime('2024-01-01 08:00:00', '+' || ((i * 131) % 366 + 1 + i % 3) || ' days', '+' || (i % 9) || ' hours')
       END
FROM n;
