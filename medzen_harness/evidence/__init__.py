"""Allure labels, attachments, charts and the HTML report."""
