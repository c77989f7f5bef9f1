// filters.js: written by the board-site work (issue 8)
