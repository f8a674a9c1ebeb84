"""The loan book: pseudonymous borrowers, loans, repayment schedules and delinquency.

Personal identifiers of borrowers (name, ID number, phone...) are not here: they live behind the
privacy capability's governed access path.
"""
