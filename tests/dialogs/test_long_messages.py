"""Long messages (dialogs/question.py): the whole message is read up to reading.MAX_TEXT characters, and a story
with its question at the end is answered; beyond that the citizen is told kindly. Through the real engine."""

from __future__ import annotations

from typing import Any

from bot.app import Bot
from dialogs import question
from dialogs.reading import MAX_TEXT
from dialogs.texts import TOO_LONG
from knowledge.understand import Facet, Understander, Understanding
from testkit.transcript import EngineChannel

# As citizens write: a greeting, a story, and the question last (676+ characters each).
VPO_STORY = (
    "Добрий день. Пишу вам, бо вже не знаю куди звертатися. Ми з чоловіком і двома дітьми переїхали з Покровська "
    "у 2024 році, коли там стало зовсім небезпечно. Спочатку жили у родичів у Дніпрі, потім знайшли квартиру тут, у "
    "Кривому Розі, на Соцмісті, бо тут у чоловіка знайшлася робота, а старшому школа поруч. "
    "Чоловік працює на заводі, я поки що вдома з меншою дитиною, їй три роки. Довідку "
    "переселенця ми отримали ще в Дніпрі, але тепер переїхали, і мені сказали, що треба щось переоформлювати. "
    "Сусідка каже, що гроші платять тільки тим, хто не працює, а в соцзахисті телефон ніхто не бере, я дзвонила "
    "разів десять. Підкажіть, будь ласка, як оформити допомогу на проживання ВПО і куди з цим іти?"
)
PASSPORT_STORY = (
    "Доброго дня! Вибачте що так довго пишу, але поясню свою ситуацію. Я пенсіонерка, мені 67 років, живу сама в "
    "Тернівському районі. Минулого тижня в маршрутці у мене витягли гаманець, а там був паспорт, ще старий, "
    "книжечка, і пенсійне посвідчення, і банківська картка. Картку я вже заблокувала через банк, це зробила донька "
    "по телефону. В поліцію ходила, там написала заяву, дали якийсь талончик. Сусідка каже, що тепер треба робити "
    "новий паспорт, тільки вже пластиковий, і що це дуже дорого і треба їхати кудись у центр, а мені з моїми "
    "ногами важко. Онука обіцяла відвезти в суботу, бо в будні вона на роботі до вечора. Тож питання таке: скільки коштує новий паспорт замість "
    "загубленого і скільки чекати?"
)
# Russian, the question names nothing: its facet is asked about what the story names.
RU_STORY = (
    "Здравствуйте. У меня такая ситуация, мы переехали из Никополя в прошлом году, снимаем квартиру возле 95 "
    "квартала. Муж сейчас в армии, я одна с ребёнком, работаю на полставки в магазине, ребёнок ходит в садик "
    "рядом с домом, бабушка иногда помогает, но она сама болеет и живёт далеко. Справку внутренне "
    "перемещённого лица я оформила ещё в Никополе, но выплаты почему-то прекратились, а в приложении ничего не "
    "понятно. Знакомая говорит, что надо заново подавать документы, потому что поменялся адрес. Я звонила на "
    "горячую линию, но там всё время занято, и в соцзащиту тоже не дозвониться. Я уже третий месяц без денег, "
    "очень тяжело, не знаю что делать. Подскажите пожалуйста куда мне идти с этим?"
)


def test_the_stories_are_long() -> None:
    assert min(len(VPO_STORY), len(PASSPORT_STORY), len(RU_STORY)) >= 676


async def test_a_story_with_its_question_at_the_end_is_answered(citizen: EngineChannel) -> None:
    answer = await citizen.send_text(VPO_STORY)
    assert TOO_LONG not in answer.text and "Вітаю!" not in answer.text and "Доброго дня!" not in answer.text
    assert "Допомога на проживання ВПО" in answer.text and "Григорія Богослова Святителя" in answer.text


async def test_a_story_is_answered_as_its_question_alone(bot: Bot, citizen: EngineChannel) -> None:
    story = await citizen.send_text(PASSPORT_STORY)
    alone = await EngineChannel(bot.engine, "other").send_text(
        "скільки коштує новий паспорт замість загубленого і скільки чекати?"
    )
    assert story == alone and "Вітаю!" not in story.text
    assert "Паспорт замість втраченого" in story.text and "грн" in story.text


async def test_a_question_that_names_nothing_is_about_what_the_story_names(citizen: EngineChannel) -> None:
    answer = await citizen.send_text(RU_STORY)
    assert "не зрозумів" not in answer.text and "Гаряча лінія" not in answer.text.split("\n")[0]
    assert "ВПО" in answer.text or any("ВПО" in label for label, _ in answer.buttons), answer.text


async def test_a_message_over_the_limit_is_read_to_the_limit_and_says_so(citizen: EngineChannel) -> None:
    text = (PASSPORT_STORY + " ") * 7
    text = (text + "бла " * 1000)[: MAX_TEXT + 1]
    assert len(text) == 4001
    answer = await citizen.send_text(text)
    assert answer.texts[0] == TOO_LONG and "4 000 символів" in TOO_LONG
    assert "паспорт" in answer.text.lower()  # the first 4,000 characters were read


class Counting:
    """An understander that counts how often it reads."""

    def __init__(self, inner: Understander) -> None:
        self.inner, self.calls = inner, 0

    def understand(self, text: str, limit: int = 5, *, about_death: bool = False) -> Understanding:
        self.calls += 1
        return self.inner.understand(text, limit, about_death=about_death)

    def facet_asked(self, text: str) -> Facet | None:
        self.calls += 1
        return self.inner.facet_asked(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_message_of_the_limit_costs_a_few_readings(bot: Bot, citizen: EngineChannel) -> None:
    """Each reading takes at most MAX_WORDS words, so a 4,000-character message costs a bounded number of them."""
    counting = Counting(bot.engine.reader.understander)
    bot.engine.reader.understander = counting  # type: ignore[assignment]
    text = ("Я вже не знаю що робити? " + RU_STORY) * 10
    await citizen.send_text(text[:MAX_TEXT])
    assert 1 <= counting.calls <= 3 + 3 + 2  # questions, context, the facet asked, the follow-up's facet
    questions, context = question.parts(text[:MAX_TEXT])
    assert len(questions) <= 3 and len(context) <= 3


async def test_a_story_about_another_service_is_not_taken_for_the_focus(
    bot: Bot, citizen: EngineChannel
) -> None:
    """The story names what its question («куда мне идти с этим?») is about, even weakly: not the card in focus."""
    await citizen.send_text("картка криворіжця")
    await citizen.send_text("меню")
    answer = await citizen.send_text(RU_STORY)
    assert "Картка криворіжця" not in answer.text.split("\n")[0]
    assert any("ВПО" in label for label, _ in answer.buttons), answer.buttons
