"""The site as benchmarks/qc_page.py serves it: production settings plus one page only the
benchmark mounts (the anchor), never part of the product's URLs."""
