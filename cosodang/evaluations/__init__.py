"""Quality evaluation and classification (issue 4): versioned rule packs and the rating engine."""
