"""What officers keep: accounts, conversations and feedback, and exports of their work."""
