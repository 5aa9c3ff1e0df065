"""zh-hans number formats: amounts grouped in thousands with a comma (29,400.00), as Chinese banks, lenders
and court documents print them. Django's zh_Hans locale has no separator and groups by 4 (万), which left
amounts as 29400.00; dates and input formats stay Django's."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
