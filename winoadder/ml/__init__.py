"""Machine learning: the study networks, their training and the accuracy-vs-width study."""
