"""The medsynth factory, a room per job: config/, run/ (planning, the Ray runner, workers), store/,
catalog/, stream/, export/, report/, view/ and evaluate/."""
