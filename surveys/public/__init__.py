"""The public survey page (issue 12): what a contact opens from an emailed link, with no login. The link's
token names the invitation, hence its tenant (surveys.tokens)."""
