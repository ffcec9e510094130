// The dashboard's names of tyndau's codes, in kk, ru and en (categories, channels, reasons, outcomes, statuses,
// event types, stages). Plain JSON after `const CODES = `: tests/streams/http/test_dashboard.py reads it.
"use strict";

const CODES = {
 "category": {
  "roads": {
   "kk": "Жолдар",
   "ru": "Дороги",
   "en": "Roads"
  },
  "courtyards": {
   "kk": "Аулалар",
   "ru": "Дворы",
   "en": "Courtyards"
  },
  "playgrounds": {
   "kk": "Балалар алаңдары",
   "ru": "Детские площадки",
   "en": "Playgrounds"
  },
  "utilities": {
   "kk": "Коммуналдық қызметтер",
   "ru": "Коммунальные услуги",
   "en": "Utilities"
  },
  "social_aid": {
   "kk": "Әлеуметтік көмек",
   "ru": "Социальная помощь",
   "en": "Social aid"
  },
  "housing": {
   "kk": "Тұрғын үй",
   "ru": "Жильё",
   "en": "Housing"
  },
  "education": {
   "kk": "Білім беру",
   "ru": "Образование",
   "en": "Education"
  },
  "health": {
   "kk": "Денсаулық сақтау",
   "ru": "Здравоохранение",
   "en": "Health"
  },
  "employment": {
   "kk": "Жұмыспен қамту",
   "ru": "Занятость",
   "en": "Employment"
  },
  "land": {
   "kk": "Жер қатынастары",
   "ru": "Земельные отношения",
   "en": "Land"
  },
  "transport": {
   "kk": "Көлік",
   "ru": "Транспорт",
   "en": "Transport"
  }
 },
 "channel": {
  "eotinish": {
   "kk": "eOtinish",
   "ru": "eOtinish",
   "en": "eOtinish"
  },
  "109": {
   "kk": "109 орталығы",
   "ru": "Центр 109",
   "en": "Call centre 109"
  },
  "reception": {
   "kk": "Жеке қабылдау",
   "ru": "Личный приём",
   "en": "In-person reception"
  },
  "social": {
   "kk": "Әлеуметтік желілер",
   "ru": "Соцсети",
   "en": "Social media"
  },
  "letter": {
   "kk": "Хат",
   "ru": "Письмо",
   "en": "Letter"
  },
  "broadcast": {
   "kk": "Тікелей эфир",
   "ru": "Прямой эфир",
   "en": "Live broadcast"
  },
  "sms": {
   "kk": "SMS",
   "ru": "SMS",
   "en": "SMS"
  },
  "email": {
   "kk": "Электрондық пошта",
   "ru": "Электронная почта",
   "en": "E-mail"
  },
  "post": {
   "kk": "Пошта",
   "ru": "Почта",
   "en": "Post"
  },
  "portal": {
   "kk": "Портал",
   "ru": "Портал",
   "en": "Portal"
  }
 },
 "reason": {
  "overdue": {
   "kk": "Мерзімі өтті",
   "ru": "Просрочено",
   "en": "Overdue"
  },
  "dissatisfied": {
   "kk": "Жауапқа наразы",
   "ru": "Недоволен ответом",
   "en": "Dissatisfied"
  },
  "repeated": {
   "kk": "Қайталама өтініш",
   "ru": "Повторное обращение",
   "en": "Repeated appeal"
  },
  "citizen_request": {
   "kk": "Азаматтың өтініші бойынша",
   "ru": "По просьбе гражданина",
   "en": "At the citizen's request"
  }
 },
 "by": {
  "citizen": {
   "kk": "азамат",
   "ru": "гражданин",
   "en": "citizen"
  },
  "system": {
   "kk": "жүйе",
   "ru": "система",
   "en": "system"
  }
 },
 "outcome": {
  "resolved": {
   "kk": "Шешілді",
   "ru": "Решено",
   "en": "Resolved"
  },
  "explained": {
   "kk": "Түсіндірілді",
   "ru": "Разъяснено",
   "en": "Explained"
  },
  "refused": {
   "kk": "Бас тартылды",
   "ru": "Отказано",
   "en": "Refused"
  }
 },
 "status": {
  "open": {
   "kk": "Қаралуда",
   "ru": "На рассмотрении",
   "en": "Open"
  },
  "escalated": {
   "kk": "Орталықта",
   "ru": "В центре",
   "en": "Escalated"
  },
  "answered": {
   "kk": "Жауап берілді",
   "ru": "Отвечено",
   "en": "Answered"
  },
  "withdrawn": {
   "kk": "Кері қайтарылды",
   "ru": "Отозвано",
   "en": "Withdrawn"
  }
 },
 "event_type": {
  "filed": {
   "kk": "Түсті",
   "ru": "Поступило",
   "en": "Filed"
  },
  "routed": {
   "kk": "Қайта жолданды",
   "ru": "Перенаправлено",
   "en": "Routed"
  },
  "extended": {
   "kk": "Мерзім ұзартылды",
   "ru": "Срок продлён",
   "en": "Extended"
  },
  "answered": {
   "kk": "Жауап берілді",
   "ru": "Дан ответ",
   "en": "Answered"
  },
  "escalated": {
   "kk": "Орталыққа жіберілді",
   "ru": "Направлено в центр",
   "en": "Escalated"
  },
  "rated": {
   "kk": "Бағаланды",
   "ru": "Оценено",
   "en": "Rated"
  },
  "withdrawn": {
   "kk": "Кері қайтарылды",
   "ru": "Отозвано",
   "en": "Withdrawn"
  },
  "reopened": {
   "kk": "Қайта ашылды",
   "ru": "Открыто повторно",
   "en": "Reopened"
  },
  "overdue": {
   "kk": "Мерзімі өтті",
   "ru": "Просрочено",
   "en": "Overdue"
  },
  "notified": {
   "kk": "Өтініш берушіге хабарланды",
   "ru": "Заявитель уведомлён",
   "en": "Applicant notified"
  }
 },
 "stage": {
  "body": {
   "kk": "Орган",
   "ru": "Орган",
   "en": "Body"
  },
  "centre": {
   "kk": "Орталық",
   "ru": "Центр",
   "en": "Centre"
  }
 }
};
